"""CREATE EXTERNAL TABLE text for CloudTrail logs in Athena, with partition projection.

The columns are the table AWS documents for CloudTrail (:mod:`auditor.logs.sql.schema`);
the partitions ``account``, ``region`` and ``day`` are projected from the S3 key
(``AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/``), so Athena needs no
partition maintenance and every query prunes by day, account and region.
This module only prints: running the DDL writes to the Glue catalog.

Accounts and regions given: ``enum`` projections over them. Not given:
``injected`` projections, which make Athena refuse a query that does not name
the account and region in its WHERE clause (the SQL engine always does).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from auditor.logs.sql import schema
from auditor.model.errors import AuditorError

#: CloudTrail was launched in November 2013: no log is older.
FIRST_DAY = "2013/11/01"
SERDE = "com.amazon.emr.hive.serde.CloudTrailSerde"
INPUT_FORMAT = "com.amazon.emr.cloudtrail.CloudTrailInputFormat"
OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PREFIX = re.compile(r"^[A-Za-z0-9!_.*()/-]*$")
_ORG = re.compile(r"^o-[a-z0-9]{10,32}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class TableSpec:
    """Where the trail writes and what the table should be called."""

    bucket: str
    prefix: str = ""
    org_id: str | None = None
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    database: str = "default"
    table: str = "cloudtrail_logs"

    def __post_init__(self) -> None:
        if not _BUCKET.match(self.bucket):
            raise AuditorError(f"--bucket {self.bucket!r} is not an S3 bucket name")
        if not _PREFIX.match(self.prefix):
            raise AuditorError(f"--prefix {self.prefix!r}: only letters, digits and !_.*()/- are allowed")
        if self.org_id is not None and not _ORG.match(self.org_id):
            raise AuditorError(f"--org-id {self.org_id!r} is not an organization id (o-...)")
        for a in self.accounts:
            if not _ACCOUNT.match(a):
                raise AuditorError(f"--accounts: {a!r} is not a 12-digit account id")
        for r in self.regions:
            if not _REGION.match(r):
                raise AuditorError(f"--regions: {r!r} is not a region name")
        for what, name in (("database", self.database), ("table", self.table)):
            if not _NAME.match(name):
                raise AuditorError(f"{what} name {name!r}: lower-case letters, digits and _ only")

    @property
    def root(self) -> str:
        """``s3://bucket/prefix/AWSLogs/[o-org/]``: the table's location."""
        parts = [p for p in self.prefix.split("/") if p]
        parts.append("AWSLogs")
        if self.org_id:
            parts.append(self.org_id)
        return f"s3://{self.bucket}/" + "/".join(parts) + "/"

    @property
    def location_template(self) -> str:
        """Where one partition's files are (``storage.location.template``)."""
        return self.root + "${account}/CloudTrail/${region}/${day}"


def projection(spec: TableSpec) -> dict[str, str]:
    """The TBLPROPERTIES of partition projection."""
    props = {"projection.enabled": "true"}
    for col, values in (("account", spec.accounts), ("region", spec.regions)):
        if values:
            props[f"projection.{col}.type"] = "enum"
            props[f"projection.{col}.values"] = ",".join(values)
        else:
            props[f"projection.{col}.type"] = "injected"
    props.update(
        {
            "projection.day.type": "date",
            "projection.day.range": f"{FIRST_DAY},NOW",
            "projection.day.format": "yyyy/MM/dd",
            "projection.day.interval": "1",
            "projection.day.interval.unit": "DAYS",
            "storage.location.template": spec.location_template,
        }
    )
    return props


def create_table(spec: TableSpec) -> str:
    """The CREATE EXTERNAL TABLE statement (Athena DDL, Hive syntax)."""
    cols = ",\n".join(f"  {c.name} {c.athena}" for c in schema.columns())
    props = ",\n".join(f"  '{k}'='{v}'" for k, v in projection(spec).items())
    return (
        f"CREATE EXTERNAL TABLE `{spec.database}`.`{spec.table}` (\n{cols}\n)\n"
        "COMMENT 'CloudTrail logs (trail-auditor athena-ddl)'\n"
        "PARTITIONED BY (account STRING, region STRING, day STRING)\n"
        f"ROW FORMAT SERDE '{SERDE}'\n"
        f"STORED AS INPUTFORMAT '{INPUT_FORMAT}'\n"
        f"OUTPUTFORMAT '{OUTPUT_FORMAT}'\n"
        f"LOCATION '{spec.root}'\n"
        f"TBLPROPERTIES (\n{props}\n);\n"
    )


def athena_ddl(
    bucket: str,
    prefix: str = "",
    org_id: str | None = None,
    accounts: Sequence[str] = (),
    regions: Sequence[str] = (),
    database: str = "default",
    table: str = "cloudtrail_logs",
) -> str:
    """What ``trail-auditor athena-ddl`` prints (validated; raises AuditorError on a bad option)."""
    return create_table(TableSpec(bucket, prefix, org_id, tuple(accounts), tuple(regions), database, table))

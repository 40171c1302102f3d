"""The trail bucket, the Glue table and DuckDB's answers for moto's Athena, shared by the Athena tests.

moto records queries without running them; a test registers each query's results.
These helpers build what every Athena test needs alike: the corpus of log files,
the bucket holding them, the table the ``athena-ddl`` statement would create, the
DuckDB table over the same files that answers each statement, and the encoding of
those answers as Athena returns them (text values, a header row, JSON for the
struct columns, ``"$path"`` as the object's URL), and the failures AWS would report,
injected on the wire (:func:`failing_on`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from auditor.logs import LogWindow
from auditor.logs.sql import ddl, duckdb_engine, queries, schema
from tests.logs.factory import event, hours, write_records

ACCOUNT = "111122223333"
REGION = "us-east-1"
BUCKET = "org-trail-logs"
TABLE = "trail.cloudtrail_logs"
WINDOW = LogWindow(datetime(2026, 11, 3, tzinfo=UTC), datetime(2026, 11, 6, tzinfo=UTC))
#: Credentials and region for moto, in-process or moto_server.
MOTO_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}


#: mallory's failed console logins
FAILED_LOGIN: dict[str, Any] = {
    "user": "mallory",
    "errorMessage": "Failed authentication",
    "responseElements": {"ConsoleLogin": "Failure"},
}


def _login(when: datetime, acct: str, **extra: Any) -> dict[str, Any]:
    return event("ConsoleLogin", when, source="signin.amazonaws.com", account=acct, **extra)


def corpus(root: Path, acct: str = ACCOUNT) -> None:
    """Three days of hourly writes with root use, failed logins, denied calls and a StopLogging."""
    start = datetime(2026, 11, 3, tzinfo=UTC)
    root_user = {"type": "Root", "arn": f"arn:aws:iam::{acct}:root", "accountId": acct, "principalId": acct}
    for i, h in enumerate(hours(start, 72)):
        evs = [event("RunInstances", h + timedelta(minutes=m), account=acct) for m in (1, 7)]
        evs.append(event("DescribeInstances", h + timedelta(minutes=3), read_only=True, account=acct))
        if i % 10 == 0:
            evs.append(
                _login(
                    h + timedelta(minutes=5),
                    acct,
                    userIdentity=root_user,
                    responseElements={"ConsoleLogin": "Success"},
                    additionalEventData={"MFAUsed": "No"},
                )
            )
        if i % 7 == 0:
            evs.extend(_login(h + timedelta(minutes=9, seconds=s), acct, **FAILED_LOGIN) for s in range(6))
        if i % 5 == 0:
            evs.extend(
                event(
                    "GetSecretValue",
                    h + timedelta(minutes=11, seconds=s),
                    source="secretsmanager.amazonaws.com",
                    user="eve",
                    errorCode="AccessDenied",
                    account=acct,
                    errorMessage="not authorized",
                    read_only=True,
                )
                for s in range(3)
            )
        if i == 40:
            evs.append(
                event(
                    "StopLogging",
                    h + timedelta(minutes=13),
                    source="cloudtrail.amazonaws.com",
                    account=acct,
                    requestParameters={"name": "org-trail"},
                    resources=[
                        {
                            "ARN": f"arn:aws:cloudtrail:{REGION}:{acct}:trail/org-trail",
                            "accountId": acct,
                            "type": "AWS::CloudTrail::Trail",
                        }
                    ],
                    tlsDetails={
                        "tlsVersion": "TLSv1.3",
                        "cipherSuite": "TLS_AES_128_GCM_SHA256",
                        "clientProvidedHostHeader": "cloudtrail.us-east-1.amazonaws.com",
                    },
                )
            )
        key = (
            f"AWSLogs/{acct}/CloudTrail/{REGION}/{h:%Y/%m/%d}/"
            f"{acct}_CloudTrail_{REGION}_{h + timedelta(minutes=20):%Y%m%dT%H%M}Z_f{i:03d}.json.gz"
        )
        write_records(root / key, evs)


def table_input(columns: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """The Glue table ``athena-ddl`` creates over the trail bucket (``columns``: others than the documented)."""
    spec = ddl.TableSpec(BUCKET, database="trail")
    return {
        "Name": "cloudtrail_logs",
        "StorageDescriptor": {
            "Columns": columns or [{"Name": c.name, "Type": c.athena.lower()} for c in schema.columns()],
            "Location": spec.root,
        },
        "PartitionKeys": [{"Name": p, "Type": "string"} for p in schema.PARTITIONS],
        "Parameters": ddl.projection(spec),
    }


def seed_bucket_and_table(session: Any, root: Path, endpoint_url: str | None = None) -> None:
    """The trail bucket holding the files under ``root``, and the table over it in database ``trail``."""
    s3 = session.client("s3", endpoint_url=endpoint_url, region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    for f in sorted(root.rglob("*.json.gz")):
        s3.upload_file(str(f), BUCKET, str(f.relative_to(root)))
    glue = session.client("glue", endpoint_url=endpoint_url, region_name=REGION)
    glue.create_database(DatabaseInput={"Name": "trail"})
    glue.create_table(DatabaseName="trail", TableInput=table_input())


def duckdb_table(root: Path, since: str, until: str) -> duckdb_engine.Loaded:
    """The files under ``root`` loaded into DuckDB, also named as the Athena table (``trail.cloudtrail_logs``)."""
    loaded = duckdb_engine.load(root, duckdb_engine.Params(since, until))
    loaded.con.execute("CREATE SCHEMA trail")
    loaded.con.execute("CREATE VIEW trail.cloudtrail_logs AS SELECT * FROM cloudtrail")
    return loaded


def athena_type(duck: str) -> str:
    """The Athena column type of a DuckDB result column."""
    d = duck.upper()
    if d == "BOOLEAN":
        return "boolean"
    if d in ("BIGINT", "INTEGER", "HUGEINT", "SMALLINT", "TINYINT", "UBIGINT"):
        return "bigint"
    if d == "JSON":
        return "json"
    if d == "DOUBLE":
        return "double"
    return "varchar"


def _cell(name: str, v: Any, root: Path) -> dict[str, str]:
    if v is None:
        return {}
    if isinstance(v, bool):
        return {"VarCharValue": "true" if v else "false"}
    if name == "_file":  # Athena's "$path" is the object's URL
        return {"VarCharValue": str(v).replace(str(root) + "/", f"s3://{BUCKET}/")}
    if isinstance(v, dict | list):
        raise AssertionError(f"{name}: a struct came back without a JSON cast")
    return {"VarCharValue": str(v)}


def answer(loaded: duckdb_engine.Loaded, trino_sql: str, root: Path) -> tuple[list[Any], list[dict[str, str]]]:
    """DuckDB's answer to the Trino text Athena received, as GetQueryResults rows (header first) and column info."""
    cur = loaded.con.execute(queries.duckdb_from_trino(trino_sql))
    cols = [(d[0], athena_type(str(d[1]))) for d in cur.description]
    rows = [{"Data": [{"VarCharValue": n} for n, _ in cols]}]
    rows += [{"Data": [_cell(n, v, root) for (n, _), v in zip(cols, r, strict=True)]} for r in cur.fetchall()]
    return rows, [{"Name": n, "Label": n, "Type": t} for n, t in cols]


def in_s3(doc: dict[str, Any], root: Path) -> dict[str, Any]:
    """The DuckDB engine's document with local paths as the S3 URLs Athena's "$path" gives."""
    text = json.dumps(doc).replace(json.dumps(str(root) + "/")[1:-1], f"s3://{BUCKET}/")
    return dict(json.loads(text))


def failing_on(session: Any, when: Any, state: str, reason: str = "", scanned: int = 0) -> None:
    """GetQueryExecution answers ``state`` (and bytes scanned) for the queries ``when`` selects."""

    def hook(parsed: dict[str, Any], **_: Any) -> None:
        qe = parsed.get("QueryExecution", {})
        if when(qe.get("Query", "")):
            qe["Status"]["State"] = state
            if reason:
                qe["Status"]["StateChangeReason"] = reason
                qe["Status"]["AthenaError"] = {"ErrorCategory": 2, "ErrorType": 1301}
            qe["Statistics"]["DataScannedInBytes"] = scanned

    session.events.register("after-call.athena.GetQueryExecution", hook)


def is_samples_pass(sql: str) -> bool:
    """A samples pass (the statement carrying every sampler: rules, aggregations' samples, correlation candidates)."""
    return "CROSS JOIN UNNEST" in sql

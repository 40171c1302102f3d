"""The Athena CloudTrail table layout, and how an event field path reads in it.

The layout is the one AWS documents for CloudTrail in Athena: top-level
scalars as STRING columns, ``userIdentity`` and ``tlsDetails`` as structs,
``requestParameters``, ``responseElements``, ``additionalEventData`` and
``serviceEventDetails`` as the JSON text of the object, plus the projected
partitions ``account``, ``region`` and ``day``. The rule compiler resolves a
field path against this layout; a path the table cannot represent exactly
raises :class:`~auditor.logs.sql.compiler.Unsupported` there.

What the table cannot tell apart, and the stream can: a top-level field that
is JSON ``null`` and one that is absent both read as SQL NULL. CloudTrail
writes ``null`` only for the JSON-text columns (``"requestParameters": null``),
so the compiler refuses existence tests on those columns as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Top-level scalar fields (CloudTrail name -> column), all STRING in the table.
SCALARS: dict[str, str] = {
    "eventVersion": "eventversion",
    "eventTime": "eventtime",
    "eventSource": "eventsource",
    "eventName": "eventname",
    "awsRegion": "awsregion",
    "sourceIPAddress": "sourceipaddress",
    "userAgent": "useragent",
    "errorCode": "errorcode",
    "errorMessage": "errormessage",
    "requestID": "requestid",
    "eventID": "eventid",
    "eventType": "eventtype",
    "apiVersion": "apiversion",
    "readOnly": "readonly",
    "recipientAccountId": "recipientaccountid",
    "sharedEventID": "sharedeventid",
    "vpcEndpointId": "vpcendpointid",
}

#: Fields held as the JSON text of the object (STRING columns Athena reads with json_extract).
JSON_TEXT: dict[str, str] = {
    "requestParameters": "requestparameters",
    "responseElements": "responseelements",
    "additionalEventData": "additionaleventdata",
    "serviceEventDetails": "serviceeventdetails",
}

#: A struct: CloudTrail field name -> (column/field name, nested struct or None for STRING).
Struct = dict[str, tuple[str, "Struct | None"]]

_SESSION_ISSUER: Struct = {
    "type": ("type", None),
    "principalId": ("principalid", None),
    "arn": ("arn", None),
    "accountId": ("accountid", None),
    "userName": ("username", None),
}
_SESSION_CONTEXT: Struct = {
    "attributes": (
        "attributes",
        {"mfaAuthenticated": ("mfaauthenticated", None), "creationDate": ("creationdate", None)},
    ),
    "sessionIssuer": ("sessionissuer", _SESSION_ISSUER),
    "ec2RoleDelivery": ("ec2roledelivery", None),
    "sourceIdentity": ("sourceidentity", None),
}
USER_IDENTITY: Struct = {
    "type": ("type", None),
    "principalId": ("principalid", None),
    "arn": ("arn", None),
    "accountId": ("accountid", None),
    "invokedBy": ("invokedby", None),
    "accessKeyId": ("accesskeyid", None),
    "userName": ("username", None),
    "sessionContext": ("sessioncontext", _SESSION_CONTEXT),
}
TLS_DETAILS: Struct = {
    "tlsVersion": ("tlsversion", None),
    "cipherSuite": ("ciphersuite", None),
    "clientProvidedHostHeader": ("clientprovidedhostheader", None),
}
STRUCTS: dict[str, tuple[str, Struct]] = {
    "userIdentity": ("useridentity", USER_IDENTITY),
    "tlsDetails": ("tlsdetails", TLS_DETAILS),
}
RESOURCE_FIELDS: Struct = {"ARN": ("arn", None), "accountId": ("accountid", None), "type": ("type", None)}

#: Projected partition columns (from the S3 key, never from the event).
PARTITIONS = ("account", "region", "day")
#: The pseudo-column naming the object a row came from (Athena's ``"$path"``).
PATH_COLUMN = "$path"


def struct_sql(struct: Struct) -> str:
    """The Hive/Athena type text of a struct."""
    parts = [f"{col}:{'STRING' if sub is None else struct_sql(sub)}" for col, sub in struct.values()]
    return "STRUCT<" + ",".join(parts) + ">"


def duck_struct(struct: Struct) -> str:
    """The DuckDB type text of the same struct."""
    parts = [f"{col} {'VARCHAR' if sub is None else duck_struct(sub)}" for col, sub in struct.values()]
    return "STRUCT(" + ", ".join(parts) + ")"


@dataclass(frozen=True)
class Column:
    """One column of the table: its name and type in Athena (Hive DDL) and DuckDB."""

    name: str
    athena: str
    duckdb: str


def columns() -> tuple[Column, ...]:
    """The data columns in the documented order (partitions excluded)."""

    def s(name: str) -> Column:
        return Column(name, "STRING", "VARCHAR")

    ui = STRUCTS["userIdentity"][1]
    tls = STRUCTS["tlsDetails"][1]
    res = "ARRAY<" + struct_sql(RESOURCE_FIELDS) + ">"
    return (
        s("eventversion"),
        Column("useridentity", struct_sql(ui), duck_struct(ui)),
        s("eventtime"),
        s("eventsource"),
        s("eventname"),
        s("awsregion"),
        s("sourceipaddress"),
        s("useragent"),
        s("errorcode"),
        s("errormessage"),
        s("requestparameters"),
        s("responseelements"),
        s("additionaleventdata"),
        s("requestid"),
        s("eventid"),
        Column("resources", res, duck_struct(RESOURCE_FIELDS) + "[]"),
        s("eventtype"),
        s("apiversion"),
        s("readonly"),
        s("recipientaccountid"),
        s("serviceeventdetails"),
        s("sharedeventid"),
        s("vpcendpointid"),
        Column("tlsdetails", struct_sql(tls), duck_struct(tls)),
    )

"""What the log readers agree on: the write rule, read verbs and forwarder keys.

Three readers turn CloudTrail records into the same evidence document: the
reference path (:mod:`auditor.logs.parse`, :mod:`auditor.logs.aggregate`), the fast
path (:mod:`auditor.logs.fastpath`, which decodes only a slim record) and the SQL
engine (:mod:`auditor.logs.sql`). Each inlines these rules for speed, but takes the
definitions from here; ``tests/logs/test_definitions.py`` pins them and checks that
every path counts the same writes.
"""

from __future__ import annotations

#: API verbs that only read: an event without ``readOnly`` whose name starts with one
#: of these is a read (``GetObject``, ``DescribeInstances``); any other is a write.
READ_PREFIXES = (
    "Get",
    "List",
    "Describe",
    "Head",
    "Lookup",
    "BatchGet",
    "Search",
    "Scan",
    "Query",
    "Select",
    "Check",
    "Verify",
    "Test",
)

#: Keys a log forwarder adds beside (or around) the CloudTrail fields (Datadog, Elastic,
#: Logstash): a record holding one is unwrapped by the reference path, never fast-decoded.
FORWARDER_KEYS = frozenset({"evt", "http", "network", "@timestamp", "@version", "ddsource", "ddtags", "aws"})

#: ``eventType`` of events AWS services emit on their own: never counted as writes.
SERVICE_EVENT = "AwsServiceEvent"


def is_write(read_only: object, event_name: str, event_type: object) -> bool:
    """The write rule: ``readOnly`` false (or "false"), or absent and ``event_name`` not a
    read verb; an AWS service event is never a write. Any other ``readOnly`` value
    (true, "true", an object) is a read."""
    if event_type == SERVICE_EVENT:
        return False
    if read_only is None:
        return not event_name.startswith(READ_PREFIXES)
    return read_only is False or read_only == "false"

"""The log-evidence document: what :mod:`auditor.logs` read from CloudTrail log files.

``Snapshot.log_evidence`` holds one :class:`LogEvidence`; the ``logs-*`` checks
judge it offline. The readers build it as JSON (``auditor.logs.aggregate.to_document``)
and :func:`LogEvidence.from_dict` types and validates it, so a document that does
not fit (a hand-edited snapshot, a wrong type, an unknown key) is an input error,
never a check that reads a missing key.

The classes are immutable msgspec structs whose fields are the document's keys,
in the order the readers write them, so ``to_dict(from_dict(doc)) == doc`` key for
key and byte for byte (a saved snapshot's SHA-256 still matches). A key the
document may lack is typed ``X | UnsetType`` with default ``UNSET``: absent on
reading stays absent on writing. The JSON Schema is generated from these classes
(``auditor/schemas/log-evidence.schema.json``, :mod:`auditor.model.schemagen`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

#: Sample events kept per rule, scope or principal (the readers' SAMPLES bound).
MAX_SAMPLES = 50

Count = Annotated[int, Meta(ge=0)]
Number = int | float


class _Doc(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of every part of the document."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form (plain dicts, lists and scalars; enums as their values)."""
        out: dict[str, Any] = msgspec.to_builtins(self)
        return out


class ProblemKind(enum.StrEnum):
    """How much of a log file was lost."""

    #: No event from this file was used.
    UNREADABLE = "unreadable"
    #: Some records were rejected, the rest were used.
    PARTIAL = "partial"
    #: Every event was used after unwrapping a foreign envelope.
    NORMALISED = "normalised"


class AnomalyKind(enum.StrEnum):
    """What rose far above its hourly baseline."""

    API_CALL = "api_call"
    API_ERROR = "api_error"


class LogEvent(_Doc, frozen=True, kw_only=True):
    """A sample event: the fields an auditor needs to find it again (values clipped to 2 KiB)."""

    eventTime: str | None
    eventName: str | None
    eventSource: str | None
    principal: str | UnsetType | None = UNSET
    sourceIPAddress: str | UnsetType | None = UNSET
    userAgent: str | UnsetType | None = UNSET
    awsRegion: str | UnsetType | None = UNSET
    eventID: str | None
    file: str | None
    errorCode: str | UnsetType | None = UNSET
    resource: str | UnsetType | None = UNSET


Samples = Annotated[tuple[LogEvent, ...], Meta(max_length=MAX_SAMPLES)]


class LogWindowSpan(_Doc, frozen=True, kw_only=True):
    """The window the events were read for (ISO 8601 UTC)."""

    since: str
    until: str


class LogParameters(_Doc, frozen=True, kw_only=True):
    """The reader's bounds and anomaly parameters."""

    max_file_bytes: int
    max_file_values: int
    anomaly_k: Number
    anomaly_min_count: int
    anomaly_min_hours: int
    samples: int


class LogFileProblem(_Doc, frozen=True, kw_only=True):
    """A log file (or folder, or listing) that could not be fully read."""

    path: str
    reason: str
    kind: ProblemKind
    malformed_records: int | UnsetType = UNSET
    account_id: str | UnsetType | None = UNSET
    region: str | UnsetType | None = UNSET

    @property
    def account(self) -> str | None:
        """The account the file belongs to, None when unknown."""
        return None if self.account_id is UNSET else self.account_id

    @property
    def where(self) -> str | None:
        """The region the file belongs to, None when unknown."""
        return None if self.region is UNSET else self.region

    @property
    def lossy(self) -> bool:
        """Events may have been lost through this file (unreadable or partly read)."""
        return self.kind in (ProblemKind.UNREADABLE, ProblemKind.PARTIAL)


HourRange = tuple[str, str]


class LogCoverage(_Doc, frozen=True, kw_only=True):
    """What was read for one account and region."""

    account_id: str
    region: str
    events: int
    writes: int | UnsetType = UNSET
    #: Per day (YYYY-MM-DD): [events, writes].
    days: Mapping[str, tuple[int, int]]
    event_hours: tuple[HourRange, ...]
    file_hours: tuple[HourRange, ...]
    first_writes: Samples | UnsetType = UNSET

    @property
    def write_count(self) -> int:
        """Write events read (0 when the document does not say)."""
        return 0 if isinstance(self.writes, UnsetType) else self.writes

    @property
    def first_write_samples(self) -> tuple[LogEvent, ...]:
        """The earliest write events (none when the document does not list them)."""
        return () if isinstance(self.first_writes, UnsetType) else self.first_writes


class LogRuleMatch(_Doc, frozen=True, kw_only=True):
    """The events one built-in rule matched in one scope (and resource)."""

    rule_id: str
    check_id: str
    title: str
    account_id: str
    region: str
    resource: str | UnsetType | None = UNSET
    total: Annotated[int, Meta(ge=1)]
    events: Samples


class LogLoginFailures(_Doc, frozen=True, kw_only=True):
    """Failed console logins of one user or source IP, per minute."""

    account_id: str
    key_type: Literal["user", "ip"]
    key: str
    minutes: Mapping[str, Count]
    events: Samples


class LogAccessDenied(_Doc, frozen=True, kw_only=True):
    """Access-denied errors of one principal, per hour."""

    account_id: str
    principal: str
    hours: Mapping[str, Count]
    total: int
    events: Samples


class LogRateAnomaly(_Doc, frozen=True, kw_only=True):
    """An API call or error code whose hourly count rose far above its baseline."""

    kind: AnomalyKind
    account_id: str
    region: str
    name: str
    hour: str
    count: int
    baseline_mean: Number
    baseline_stdev: Number
    threshold: Number
    baseline_hours: int | UnsetType = UNSET
    excess: Number | UnsetType = UNSET


class LogSigmaRule(_Doc, frozen=True, kw_only=True):
    """A Sigma rule that was evaluated."""

    id: str
    title: str
    level: str | UnsetType = UNSET
    path: str


class LogSigmaUnsupported(_Doc, frozen=True, kw_only=True):
    """A Sigma rule that could not be compiled, and why."""

    id: str
    title: str
    path: str
    reason: Annotated[str, Meta(min_length=1)]


class LogSigmaCorrelationGroup(_Doc, frozen=True, kw_only=True):
    """One group for which a Sigma correlation fired: its first firing window."""

    group: dict[str, str | None]
    window_start: str
    window_end: str
    count: Number
    events_in_window: Count


class LogSigmaCorrelationHit(_Doc, frozen=True, kw_only=True):
    """What a correlation match adds to a Sigma match (docs/sigma.md)."""

    type: str
    timespan_seconds: Count
    condition: dict[str, Number]
    groups: tuple[LogSigmaCorrelationGroup, ...]


class LogSigmaMatch(_Doc, frozen=True, kw_only=True):
    """The events one Sigma rule matched in one scope (a correlation: the groups it fired for)."""

    rule_id: str
    title: str
    level: str | UnsetType = UNSET
    account_id: str
    region: str
    total: int
    events: Samples
    correlation: LogSigmaCorrelationHit | UnsetType = UNSET


class LogSigmaCorrelation(_Doc, frozen=True, kw_only=True):
    """A Sigma correlation rule judged over the window."""

    id: str
    title: str
    level: str | UnsetType = UNSET
    path: str
    correlation: str
    rules: tuple[str, ...]
    group_by: tuple[str, ...]
    timespan_seconds: Count
    condition: dict[str, Number]


class LogSigma(_Doc, frozen=True, kw_only=True):
    """Sigma rules evaluated, rules that could not be, and their matches."""

    rules: tuple[LogSigmaRule, ...]
    unsupported: tuple[LogSigmaUnsupported, ...]
    #: Correlation rules judged over the window (absent in documents written before them).
    correlations: tuple[LogSigmaCorrelation, ...] | UnsetType = UNSET
    matches: tuple[LogSigmaMatch, ...]


class LogIncompleteRule(_Doc, frozen=True, kw_only=True):
    """A rule the SQL engine could not count completely, and why."""

    rule_id: str
    reason: str


class LogAthenaQuery(_Doc, frozen=True, kw_only=True):
    """One Athena query the engine ran: its id, final state, and what it scanned."""

    query_id: str
    state: str
    data_scanned_bytes: Count
    engine_execution_ms: Count
    reason: str | None


class LogAthenaRun(_Doc, frozen=True, kw_only=True):
    """What the Athena engine scanned and cost (docs/sql-engine.md)."""

    table: str
    workgroup: str | None
    output_location: str | None
    statements: Count
    objects_in_window: Count
    bytes_in_window: Count
    estimated_scan_bytes: Count
    max_scan_bytes: Count | None
    data_scanned_bytes: Count
    engine_execution_ms: Count
    estimated_cost_usd: float
    price_usd_per_tb: float
    queries: tuple[LogAthenaQuery, ...]
    refused: str | None


class LogFailedQuery(_Doc, frozen=True, kw_only=True):
    """A statement of a SQL engine that failed, was cancelled or was refused, and the checks it served."""

    serves: str
    query_id: str | None
    reason: str


class LogEvidence(_Doc, frozen=True, kw_only=True):
    """What auditor.logs read from CloudTrail log files over a window.

    Counts, file problems, coverage, rule matches (first 50 events each),
    aggregates and Sigma results. The logs-* checks judge this document offline.
    """

    schema_version: Literal[1]
    window: LogWindowSpan
    sources: tuple[str, ...]
    parameters: LogParameters | UnsetType = UNSET
    files_read: Count
    files_with_problems: Count | UnsetType = UNSET
    files_unreadable: Count | UnsetType = UNSET
    events_read: Count
    events_outside_window: Count | UnsetType = UNSET
    events_malformed: Count | UnsetType = UNSET
    file_problems: tuple[LogFileProblem, ...]
    coverage: tuple[LogCoverage, ...]
    rules: tuple[LogRuleMatch, ...]
    console_login_failures: tuple[LogLoginFailures, ...]
    access_denied: tuple[LogAccessDenied, ...]
    rate_anomalies: tuple[LogRateAnomaly, ...]
    sigma: LogSigma
    #: The engine that built the document when it was not the Python reader ("duckdb").
    engine: str | UnsetType = UNSET
    #: Parts of the document that engine did not compute.
    not_computed: tuple[str, ...] | UnsetType = UNSET
    #: Rules whose residual (rows SQL could not decide) passed the cap: also unreadable problems.
    incomplete_rules: tuple[LogIncompleteRule, ...] | UnsetType = UNSET
    #: Statements that failed (Athena engine); each is also an unreadable file problem.
    failed_queries: tuple[LogFailedQuery, ...] | UnsetType = UNSET
    #: The Athena engine's run: statements, bytes scanned, cost.
    athena: LogAthenaRun | UnsetType = UNSET

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LogEvidence:
        """Type and validate a JSON document (raises msgspec.ValidationError, a ValueError)."""
        return msgspec.convert(data, cls)

    @property
    def outside_window(self) -> int:
        """Events stamped outside the window (0 when the document does not say)."""
        return 0 if self.events_outside_window is UNSET else self.events_outside_window

    @property
    def malformed(self) -> int:
        """Records that could not be read as events (0 when the document does not say)."""
        return 0 if self.events_malformed is UNSET else self.events_malformed

    def parameters_dict(self) -> dict[str, Any]:
        """The parameters as JSON (empty when the document has none)."""
        return {} if isinstance(self.parameters, UnsetType) else self.parameters.to_dict()

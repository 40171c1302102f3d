"""The conditions behind the continuity, rate, denied-call and failed-login checks, as SQL.

:mod:`~auditor.logs.sql.passes` folds them into the run's statements (the
counts pass, with GROUPING SETS, and the samplers of the samples pass), from
whose small results the engine fills the same
:class:`~auditor.logs.aggregate.Partial` fields the stream fills, so
:func:`~auditor.logs.document.to_document` (ranges, anomalies) is shared.
Definitions follow :func:`auditor.logs.aggregate.process_events`:

* a write: ``readOnly`` false, or absent and the API verb not a read verb;
  AWS service events excluded;
* an error: a non-empty ``errorCode``; denied: an error matching the CIS 4.1
  pattern (compiled by the same compiler as every rule);
* a failed console login: ``responseElements.ConsoleLogin`` the string
  ``Failure`` or ``errorMessage`` "Failed authentication", keyed by user and
  by source IP (``None`` when absent, as the stream writes ``str(None)``).
"""

from __future__ import annotations

import functools

from auditor.logs.definitions import READ_PREFIXES, SERVICE_EVENT
from auditor.logs.sql.compiler import compile_pattern_expr, lit
from auditor.semantics import cis

WRITE_SQL = (
    f"(COALESCE(readonly = 'false', FALSE) OR (readonly IS NULL AND NOT regexp_like(eventname, "
    f"{lit('^(' + '|'.join(READ_PREFIXES) + ')')}))) AND COALESCE(eventtype <> {lit(SERVICE_EVENT)}, TRUE)"
)
ERROR_SQL = "COALESCE(errorcode <> '', FALSE)"
PRINCIPAL_SQL = (
    "COALESCE(NULLIF(useridentity.arn, ''), NULLIF(useridentity.principalid, ''), "
    "NULLIF(useridentity.type, ''), 'unknown')"
)
LOGIN_USER_SQL = (
    "COALESCE(NULLIF(useridentity.username, ''), NULLIF(useridentity.arn, ''), "
    "NULLIF(useridentity.principalid, ''), 'unknown')"
)
LOGIN_FAILED_SQL = (
    "eventname = 'ConsoleLogin' AND (COALESCE(json_format(json_extract(responseelements, '$.ConsoleLogin')) "
    "= '\"Failure\"', FALSE) OR COALESCE(errormessage = 'Failed authentication', FALSE))"
)


@functools.lru_cache(maxsize=1)
def denied_sql() -> str:
    """CIS 4.1 (unauthorized API calls) as SQL; it needs no residual (held by a test)."""
    bounds = compile_pattern_expr(cis.compiled_intent(cis.item_by_number("4.1")).root)
    if not bounds.exact:  # pragma: no cover - the pattern only compares STRING columns
        raise AssertionError("CIS 4.1 must compile exactly")
    return bounds.lower.sql(dialect="trino")

"""Tell people when a scheduled scan finds new failures: a short SNS summary.

The message names counts and the first new failures (check, account, region,
resource). Resource names come from AWS and may be hostile; SNS delivers plain
text, and the text is truncated so one long name cannot flood a pager.
"""

from __future__ import annotations

from typing import Any

from auditor.engine.results import Results
from auditor.gate.history import new_failures

MAX_LINES = 20
MAX_FIELD = 200


def summary_text(results: Results) -> str:
    """The notification body."""
    new_ids = set(new_failures(results))
    new = [f for f in results.findings if f.id in new_ids]
    by = results.summary.get("by_status", {})
    lines = [
        f"trail-auditor scan {results.scan.id} finished {results.scan.finished_at}",
        f"accounts: {len(results.scan.accounts)}, results: {results.summary.get('total', 0)}, "
        f"failed: {by.get('FAIL', 0)}, not assessed: {by.get('ERROR', 0)}",
        f"new failures since the previous scan: {len(new)}",
    ]
    for fw in results.frameworks:
        score = "n/a" if fw.score is None else f"{fw.score:.0%}"
        lines.append(f"  {fw.id}: {score}")
    for f in new[:MAX_LINES]:
        resource = (f.resource_arn or f.resource_id)[:MAX_FIELD]
        lines.append(f"- [{f.severity.value}] {f.check_id} {f.account_id} {f.region} {resource}")
    if len(new) > MAX_LINES:
        lines.append(f"... and {len(new) - MAX_LINES} more")
    return "\n".join(lines)


def notify_new_failures(sns_client: Any, topic_arn: str, results: Results) -> str | None:
    """Publish the summary if there are new failures; return the message id, or None."""
    if not new_failures(results):
        return None
    by = results.summary.get("by_status", {})
    response = sns_client.publish(
        TopicArn=topic_arn,
        Subject=f"trail-auditor: {len(new_failures(results))} new failure(s), {by.get('FAIL', 0)} total"[:100],
        Message=summary_text(results),
    )
    return str(response["MessageId"])

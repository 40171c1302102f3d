"""OSCAL 1.2.3 assessment results: ``assessment-results.oscal.json``.

One ``result`` per framework the results were mapped to. In each:

- ``reviewed-controls`` names every control of the framework;
- one ``observation`` per control with a verdict (methods ``TEST``: an automated
  check of collected evidence), saying which checks decided it and with what,
  whose ``relevant-evidence`` points at the back-matter resources of the
  results document and the snapshot;
- one ``finding`` per control that was judged: PASS is ``satisfied`` (reason
  ``pass``), FAIL ``not-satisfied`` (``fail``), NOT_ASSESSED (evidence could
  not be read) ``not-satisfied`` with reason ``other`` and a remark "not
  assessed: ..." (OSCAL has no third state, and not-assessed must never read as
  satisfied). MANUAL and NOT_APPLICABLE controls get an observation only.
  A finding's ``target-id`` is the control id where it is an OSCAL token; ids
  such as PCI DSS ``10.5.1`` are not (a token starts with a letter), so they
  become ``ctl_10.5.1`` and the original is the ``control-id`` property.

Evidence hashes: the back matter holds ``results.json`` with the SHA-256 of
the bytes ``--format json`` writes for the same results, and the snapshot with
its SHA-256 (the digest the results cite). UUIDs are version 5, derived from
the scan id, framework and control, so rendering the same results twice gives
the same document. The assessment plan is not an OSCAL document of its own:
``import-ap`` points at a back-matter resource describing the tool's method.
Validated in tests against NIST's OSCAL 1.2.3 JSON schema
(tests/fixtures/oscal/).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Sequence
from typing import Any

from auditor.engine.checkapi import Status
from auditor.engine.results import ControlVerdict, Finding, FrameworkVerdict, Results
from auditor.report.interface import JsonDocumentRenderer, ReportOptions

OSCAL_VERSION = "1.2.3"
#: Namespace of this tool's OSCAL properties.
NS = "https://trail-auditor.invalid/ns/oscal"
_NAMESPACE = uuid.UUID("6f1c7f55-3c1e-4c1b-9a8e-2f0b5b7c9d41")
_NOT_TOKEN = re.compile(r"[^\w.\-]")
MAX_TEXT = 4000
MAX_LISTED = 20


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


def token(value: str) -> str:
    """``value`` as an OSCAL token: letters, digits, ``.``, ``-``, ``_``, starting with a letter or ``_``."""
    out = _NOT_TOKEN.sub("_", value) or "_"
    return out if (out[0].isalpha() or out[0] == "_") else f"ctl_{out}"


def _text(value: str) -> str:
    value = " ".join(value.split()) or "-"
    return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + "\u2026"


def _prop(name: str, value: str) -> dict[str, str]:
    return {"name": name, "ns": NS, "value": _text(value)}


def results_sha256(results: Results) -> str:
    """SHA-256 of results.json as ``--format json`` writes these results."""
    from auditor.report.jsonfmt import JsonRenderer

    return hashlib.sha256(JsonRenderer().render_text(results, ReportOptions()).encode("utf-8")).hexdigest()


def _deciding(control: ControlVerdict, by_id: dict[str, Finding]) -> list[Finding]:
    return [by_id[i] for i in control.findings if i in by_id]


def _reason(control: ControlVerdict, findings: Sequence[Finding]) -> str:
    wanted = {"FAIL": (Status.FAIL,), "NOT_ASSESSED": (Status.ERROR,)}.get(control.status, ())
    picked = [f for f in findings if f.status in wanted] or list(findings)
    if not picked:
        if control.unassessed_checks:
            return "not assessed: no result from " + ", ".join(control.unassessed_checks)
        return control.notes or control.automation or "no automated check"
    first = picked[0]
    more = f" (and {len(picked) - 1} more)" if len(picked) > 1 else ""
    return f"{first.check_id}: {first.message}{more}"


def _observation(
    fw: FrameworkVerdict,
    control: ControlVerdict,
    findings: Sequence[Finding],
    results: Results,
    evidence: list[dict[str, Any]],
) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.status.value] = counts.get(f.status.value, 0) + 1
    tally = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no findings"
    listed = [f.id for f in findings if f.status in (Status.FAIL, Status.ERROR, Status.WAIVED)][:MAX_LISTED]
    description = (
        f"{fw.title} {control.id}: {control.status}. Checks: {', '.join(control.checks) or 'none'}; "
        f"{tally}. {_reason(control, findings)}"
    )
    props = [
        _prop("control-id", control.id),
        _prop("verdict", control.status),
        _prop("automation", control.automation or "unknown"),
    ]
    props += [_prop("finding-id", i) for i in listed]
    return {
        "uuid": _uuid(results.scan.id, fw.id, control.id, "observation"),
        "title": _text(f"{control.id} {control.title}"),
        "description": _text(description),
        "props": props,
        "methods": ["TEST"],
        "types": ["control-objective"],
        "relevant-evidence": evidence,
        "collected": results.scan.finished_at or results.scan.started_at,
    }


def _finding(
    fw: FrameworkVerdict, control: ControlVerdict, findings: Sequence[Finding], results: Results, observation_uuid: str
) -> dict[str, Any] | None:
    state = {
        "PASS": ("satisfied", "pass"),
        "FAIL": ("not-satisfied", "fail"),
        "NOT_ASSESSED": ("not-satisfied", "other"),
    }.get(control.status)
    if state is None:
        return None
    status: dict[str, Any] = {"state": state[0], "reason": state[1]}
    if control.status == "NOT_ASSESSED":
        status["remarks"] = _text("not assessed: " + _reason(control, findings))
    props = [_prop("control-id", control.id), _prop("verdict", control.status)]
    if control.waived:
        props.append(_prop("waived", "true"))
    return {
        "uuid": _uuid(results.scan.id, fw.id, control.id, "finding"),
        "title": _text(f"{fw.title} {control.id}: {control.status}"),
        "description": _text(_reason(control, findings)),
        "props": props,
        "target": {"type": "objective-id", "target-id": token(control.id), "status": status},
        "related-observations": [{"observation-uuid": observation_uuid}],
    }


def _back_matter(results: Results, res_uuid: str, snap_uuid: str | None, plan_uuid: str) -> dict[str, Any]:
    resources: list[dict[str, Any]] = [
        {
            "uuid": plan_uuid,
            "title": "trail-auditor assessment method",
            "description": "No separate OSCAL assessment plan: the plan is trail-auditor's check catalogue and "
            "framework mappings (`trail-auditor checks`, `trail-auditor frameworks`), run "
            f"automatically against the collected evidence (profile {results.scan.profile}).",
        },
        {
            "uuid": res_uuid,
            "title": "results.json",
            "description": "The trail-auditor results document.",
            "rlinks": [
                {
                    "href": "results.json",
                    "media-type": "application/json",
                    "hashes": [{"algorithm": "SHA-256", "value": results_sha256(results)}],
                }
            ],
        },
    ]
    if snap_uuid is not None and results.scan.snapshot_sha256:
        resources.append(
            {
                "uuid": snap_uuid,
                "title": "snapshot",
                "description": "The collected evidence the results were computed from "
                "(SHA-256 of its canonical JSON, as the results cite it).",
                "rlinks": [
                    {
                        "href": "snapshot.json",
                        "media-type": "application/json",
                        "hashes": [{"algorithm": "SHA-256", "value": results.scan.snapshot_sha256}],
                    }
                ],
            }
        )
    return {"resources": resources}


def oscal_document(results: Results) -> dict[str, Any]:
    """The assessment-results document."""
    scan = results.scan
    by_id = {f.id: f for f in results.findings}
    res_uuid = _uuid(scan.id, "results.json")
    snap_uuid = _uuid(scan.id, "snapshot") if scan.snapshot_sha256 else None
    plan_uuid = _uuid(scan.id, "plan")
    evidence = [{"href": f"#{res_uuid}", "description": "results.json (findings of the deciding checks)"}]
    if snap_uuid is not None:
        evidence.append({"href": f"#{snap_uuid}", "description": "the snapshot of collected evidence"})
    out: list[dict[str, Any]] = []
    for fw in results.frameworks:
        observations, findings = [], []
        for control in fw.controls:
            deciding = _deciding(control, by_id)
            obs = _observation(fw, control, deciding, results, evidence)
            observations.append(obs)
            finding = _finding(fw, control, deciding, results, obs["uuid"])
            if finding is not None:
                findings.append(finding)
        result: dict[str, Any] = {
            "uuid": _uuid(scan.id, fw.id),
            "title": _text(f"{fw.title} {fw.version}".strip()),
            "description": _text(f"Automated assessment of {fw.title} by trail-auditor, scan {scan.id}."),
            "start": scan.started_at,
            "props": [_prop("framework-id", fw.id), _prop("scan-id", scan.id)],
            "reviewed-controls": {
                "control-selections": [
                    {"include-controls": [{"control-id": token(c.id)} for c in fw.controls]}
                    if fw.controls
                    else {"include-all": {}}
                ]
            },
        }
        if scan.finished_at:
            result["end"] = scan.finished_at
        if observations:
            result["observations"] = observations
        if findings:
            result["findings"] = findings
        out.append(result)
    if not out:
        out.append(
            {
                "uuid": _uuid(scan.id, "no-framework"),
                "title": "No framework",
                "description": "These results were mapped to no framework; see results.json.",
                "start": scan.started_at,
                "reviewed-controls": {"control-selections": [{"include-all": {}}]},
            }
        )
    tool_version = str(results.tool.get("version") or "0")
    return {
        "assessment-results": {
            "uuid": _uuid(scan.id, "assessment-results"),
            "metadata": {
                "title": _text(f"trail-auditor assessment results, scan {scan.id}"),
                "last-modified": scan.evaluated_at or scan.finished_at or scan.started_at,
                "version": tool_version,
                "oscal-version": OSCAL_VERSION,
                "props": [_prop("scan-id", scan.id)],
            },
            "import-ap": {
                "href": f"#{plan_uuid}",
                "remarks": "The assessment plan is trail-auditor's method; see the back-matter resource.",
            },
            "results": out,
            "back-matter": _back_matter(results, res_uuid, snap_uuid, plan_uuid),
        }
    }


class OscalRenderer(JsonDocumentRenderer):
    """``--format oscal``."""

    name = "oscal"
    extension = ".json"
    default_filename = "assessment-results.oscal.json"
    document = staticmethod(oscal_document)

"""JUnit XML output: CI systems show each check x resource as a test case.

One ``<testsuite>`` per check, one ``<testcase>`` per finding: FAIL is a
``<failure>``, ERROR (not assessed) an ``<error>``, NOT_APPLICABLE and WAIVED
are ``<skipped>`` with the reason. XML 1.0 cannot carry most control
characters, which hostile log data may contain, so they are replaced before
ElementTree escapes the rest.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from auditor.engine.checkapi import Status
from auditor.engine.results import Finding, Results
from auditor.report.interface import ReportOptions, TextRenderer

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
MAX_ATTR = 1000


def xml_text(value: str, limit: int | None = None) -> str:
    """Text that XML 1.0 can carry, optionally capped with a visible marker."""
    text = _XML_INVALID.sub("\ufffd", value)
    if limit is not None and len(text) > limit:
        return f"{text[:limit]}… (truncated, {len(text)} characters)"
    return text


def _case_name(f: Finding) -> str:
    return xml_text(f"{f.account_id}/{f.region}/{f.resource_arn or f.resource_id}", MAX_ATTR)


def _details(f: Finding) -> str:
    lines = [
        f"check: {f.check_id} ({f.title})",
        f"severity: {f.severity.value}",
        f"resource: {f.resource_arn or f.resource_id} ({f.resource_type})",
        f"account/region: {f.account_id}/{f.region}",
        f"message: {f.message}",
    ]
    for key, value in sorted(f.evidence.items()):
        if key != "events":
            lines.append(f"evidence.{key}: {value!r}"[:2000])
    if f.remediation.get("summary"):
        lines.append(f"remediation: {f.remediation['summary']}")
    return xml_text("\n".join(lines))


def junit_tree(results: Results) -> ET.Element:
    """The ``<testsuites>`` element."""
    by_check: dict[str, list[Finding]] = defaultdict(list)
    for f in results.findings:
        by_check[f.check_id].append(f)
    root = ET.Element("testsuites", name=xml_text(f"trail-auditor {results.scan.id}", MAX_ATTR))
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for check_id in sorted(by_check):
        items = by_check[check_id]
        counts = {
            "tests": len(items),
            "failures": sum(f.status is Status.FAIL for f in items),
            "errors": sum(f.status is Status.ERROR for f in items),
            "skipped": sum(f.status in (Status.NOT_APPLICABLE, Status.WAIVED) for f in items),
        }
        for k, v in counts.items():
            totals[k] += v
        attrib = {"name": xml_text(check_id, MAX_ATTR), "timestamp": xml_text(results.scan.started_at, 100)}
        attrib.update({k: str(v) for k, v in counts.items()})
        suite = ET.SubElement(root, "testsuite", attrib)
        for f in items:
            case = ET.SubElement(suite, "testcase", classname=xml_text(check_id, MAX_ATTR), name=_case_name(f))
            case.set("time", "0")
            message = xml_text(f.message, MAX_ATTR)
            if f.status is Status.FAIL:
                el = ET.SubElement(case, "failure", message=message, type=f.severity.value)
                el.text = _details(f)
            elif f.status is Status.ERROR:
                el = ET.SubElement(case, "error", message=f"not assessed: {message}", type="NotAssessed")
                el.text = _details(f)
            elif f.status is Status.NOT_APPLICABLE:
                ET.SubElement(case, "skipped", message=f"not applicable: {message}")
            elif f.status is Status.WAIVED:
                waiver = f.waiver or {}
                reason = xml_text(
                    f"waived: {waiver.get('reason', '')} (owner {waiver.get('owner', '?')}, "
                    f"expires {waiver.get('expires', '?')})",
                    MAX_ATTR,
                )
                ET.SubElement(case, "skipped", message=reason)
    for k, v in totals.items():
        root.set(k, str(v))
    return root


class JunitRenderer(TextRenderer):
    """``--format junit``."""

    name = "junit"
    extension = ".xml"
    default_filename = "junit.xml"

    def render_text(self, results: Results, options: ReportOptions) -> str:
        """The JUnit XML document."""
        tree = junit_tree(results)
        ET.indent(tree)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(tree, encoding="unicode") + "\n"

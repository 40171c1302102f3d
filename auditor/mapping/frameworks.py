"""Compliance frameworks as data, and the roll-up of findings into control verdicts.

A framework file (``mappings/*.yaml``, schema ``schemas/mapping.schema.json``)
lists controls; each control names the checks that evidence it. Checks know
nothing of frameworks: the mapping is inverted here, at load time, so adding a
framework never touches a check.

Roll-up rules (one control, the results of all its checks):

- ``manual`` control -> MANUAL (evidence must come from the organisation).
- any FAIL -> FAIL. A definite failure is known, so it beats ERROR.
- otherwise any ERROR -> NOT_ASSESSED: evidence is missing, never a pass.
- no result at all for any of its checks -> NOT_ASSESSED.
- only NOT_APPLICABLE results -> NOT_APPLICABLE: nothing was judged, so the
  control must not read as evidence of compliance (and does not count in the
  score).
- otherwise (PASS/WAIVED, N/A neutral) -> PASS; ``waived`` is True when a
  waiver was needed to get there.

A control may state the retention it needs (``min_retention_days``,
``min_hot_retention_days``): bucket-retention judges the bucket against the
scan's retention profile, so its PASS under the 365-day pci profile says
nothing about HIPAA's six years. Such a control is NOT_ASSESSED unless the
profile given to :func:`apply_mappings` is at least as strict (a FAIL stays a
FAIL: a shorter retention already fails a longer requirement).

A control whose checks only partly ran (e.g. ``--no-logs`` skipped its logs-*
checks) is judged on the results that exist; the checks that produced nothing
are listed in ``ControlVerdict.unassessed_checks`` so reports can say so.

Score per framework: PASS / (PASS + FAIL) over automated and partial
controls; None when nothing was assessed. NOT_ASSESSED is reported in the
counts but not hidden in the score: a reader sees both.

Retention profiles (``mappings/profiles/*.yaml``, schema
``schemas/profiles.schema.json``) are data too: ``pci`` and ``hipaa`` ship.

An organisation's ``--mappings DIR`` (repeatable) is laid out like the shipped
folder::

    DIR/*.yaml, DIR/*.yml     framework files (same schema as the shipped ones)
    DIR/profiles/*.yaml       retention profiles: {version: 1, profiles: {NAME:
                              {retention_days, hot_retention_days, description}}}

A framework id or profile name defined twice (also: one that ships) is an
error naming both files; nothing is silently overridden.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Protocol

from auditor.engine.checkapi import Status
from auditor.engine.results import ControlVerdict, Finding, FrameworkVerdict
from auditor.model.errors import AuditorError, ValidationError
from auditor.model.fsio import MAX_MAPPING_BYTES, read_input
from auditor.model.package_data import package_path
from auditor.model.validation import validate
from auditor.model.yamlsafe import parse_yaml

AUTOMATED = "automated"
PARTIAL = "partial"
MANUAL = "manual"

#: Control verdict statuses, in the order reports list their counts.
CONTROL_STATUSES = ("PASS", "FAIL", "NOT_ASSESSED", "NOT_APPLICABLE", "MANUAL")

#: Cost findings: they say what logging costs, not whether it complies, so no
#: control's verdict may depend on them. check_coverage does not ask for them.
COST_ONLY_CHECKS = frozenset({"trail-duplicate-management-copies", "bucket-archival-lifecycle"})

_MAPPING_SCHEMA = "mapping.schema.json"
_PROFILES_SCHEMA = "profiles.schema.json"
_PROFILES_DIR = "profiles"


@dataclass(frozen=True)
class Control:
    """One control of a framework and the checks that evidence it."""

    id: str
    title: str
    description: str
    section: str
    #: automated | partial | manual
    automation: str
    checks: tuple[str, ...]
    #: What a person must still attest (partial) or supply as evidence (manual).
    notes: str
    #: The retention profile must require at least this many days for a PASS.
    min_retention_days: int | None = None
    #: The profile must keep at least this many days immediately available.
    min_hot_retention_days: int | None = None
    #: Per check in ``checks``: why that check evidences this control (shown in reports).
    why: Mapping[str, str] = field(default_factory=dict)

    def retention_satisfied_by(self, retention: RetentionRequirement | None) -> bool:
        """Whether a scan under ``retention`` can evidence this control's retention need."""
        if self.min_retention_days is None and self.min_hot_retention_days is None:
            return True
        if retention is None:
            return False
        return retention.retention_days >= (self.min_retention_days or 0) and (
            retention.hot_retention_days >= (self.min_hot_retention_days or 0)
        )


class RetentionRequirement(Protocol):
    """What the roll-up needs of a retention profile (RetentionProfile or checkapi.Settings)."""

    @property
    def retention_days(self) -> int: ...

    @property
    def hot_retention_days(self) -> int: ...


@dataclass(frozen=True)
class Framework:
    """One framework version, as loaded from its mapping file."""

    id: str
    title: str
    version: str
    publisher: str
    url: str
    description: str
    controls: tuple[Control, ...]
    #: The file it came from, so that errors and reports can name it.
    source: str


@dataclass(frozen=True)
class RetentionProfile:
    """How long logs must be kept, and kept immediately available."""

    name: str
    retention_days: int
    hot_retention_days: int
    description: str
    source: str = ""


# --------------------------------------------------------------------------- loading


def _control_label(document: Any, path: Sequence[Any]) -> str:
    """' control 10.2.1' when the error lies inside a control, else ''."""
    if len(path) >= 2 and path[0] == "controls" and isinstance(path[1], int):
        try:
            control = document["controls"][path[1]]
        except (KeyError, IndexError, TypeError):
            return ""
        if isinstance(control, Mapping) and isinstance(control.get("id"), str | int | float):
            return f" control {control['id']}"
        return f" control #{path[1] + 1}"
    return ""


def _validate(document: Any, schema_name: str, source: str) -> None:
    """Raise ValidationError naming the file, the control (if any) and the field."""
    validate(document, schema_name, source, locate=lambda path: f":{_control_label(document, path)} field ")


def _read_yaml(node: Traversable | Path, source: str) -> Any:
    """Parse one YAML file: mapping folders given with ``--mappings`` are untrusted input.

    A file of the user's folder is read as any input file is (regular, at most
    MAX_MAPPING_BYTES); every file is parsed without aliases and with a depth
    bound (:func:`auditor.model.yamlsafe.parse_yaml`).
    """
    try:
        if isinstance(node, Path):
            text = read_input(node, what="mapping file", limit=MAX_MAPPING_BYTES).decode("utf-8")
        else:
            text = node.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditorError(f"{source}: cannot read: {exc}") from exc
    data, _ = parse_yaml(text, source, what="a mapping file")
    return data


def _yaml_files(folder: Traversable | Path) -> list[Traversable | Path]:
    files = [
        node
        for node in folder.iterdir()
        # not is_dir(): a FIFO or device named *.yaml is refused by the reader, never skipped quietly
        if not node.is_dir() and node.name.endswith((".yaml", ".yml"))
    ]
    return sorted(files, key=lambda n: n.name)


def _shipped_dir() -> Traversable:
    return package_path("data", "mappings")


def _check_extra_dir(folder: Path) -> Path:
    if not folder.is_dir():
        raise AuditorError(f"mappings folder {folder} does not exist or is not a folder")
    return folder


def parse_framework(document: Any, source: str, known_checks: Collection[str]) -> Framework:
    """Validate one mapping document and build its Framework.

    Beyond the schema: control ids are unique in the file, and every check a
    control names exists (a typo would otherwise leave the control silently
    unevidenced).
    """
    _validate(document, _MAPPING_SCHEMA, source)
    known = set(known_checks)
    controls: list[Control] = []
    seen: set[str] = set()
    for index, raw in enumerate(document["controls"]):
        cid = str(raw["id"])
        if cid in seen:
            raise ValidationError(f"{source}: control {cid} field controls[{index}].id: duplicate control id")
        seen.add(cid)
        for cindex, check_id in enumerate(raw["checks"]):
            if check_id not in known:
                raise ValidationError(
                    f"{source}: control {cid} field controls[{index}].checks[{cindex}]: unknown check id {check_id!r}"
                )
        why = raw.get("why") or {}
        for check_id in why:
            if check_id not in raw["checks"]:
                raise ValidationError(
                    f"{source}: control {cid} field controls[{index}].why.{check_id}: "
                    f"{check_id!r} is not one of this control's checks"
                )
        controls.append(
            Control(
                id=cid,
                title=raw["title"],
                description=raw["description"],
                section=raw["section"],
                automation=raw["automation"],
                checks=tuple(raw["checks"]),
                notes=raw.get("notes", ""),
                min_retention_days=raw.get("min_retention_days"),
                min_hot_retention_days=raw.get("min_hot_retention_days"),
                why={str(k): str(v) for k, v in why.items()},
            )
        )
    return Framework(
        id=document["id"],
        title=document["title"],
        version=str(document["version"]),
        publisher=document["publisher"],
        url=document["url"],
        description=document["description"],
        controls=tuple(controls),
        source=source,
    )


def load_frameworks(
    known_checks: Collection[str],
    extra_dirs: Sequence[Path] = (),
    selected: Sequence[str] | None = None,
) -> list[Framework]:
    """The shipped frameworks plus an organisation's own (``--mappings DIR``).

    ``selected`` picks framework ids (None: all); an unknown id is an error
    listing the available ones. A framework id defined twice is an error
    naming both files. Returned sorted by id, or in ``selected`` order.
    """
    shipped = _shipped_dir()
    if not shipped.is_dir():
        raise AuditorError(f"shipped mappings not found at {shipped}: broken installation")
    folders: list[Traversable | Path] = [shipped, *(_check_extra_dir(d) for d in extra_dirs)]
    by_id: dict[str, Framework] = {}
    for folder in folders:
        for node in _yaml_files(folder):
            source = str(node)
            framework = parse_framework(_read_yaml(node, source), source, known_checks)
            if framework.id in by_id:
                raise ValidationError(
                    f"framework id {framework.id!r} is defined twice: {by_id[framework.id].source} and {source}"
                )
            by_id[framework.id] = framework
    if selected is None:
        return [by_id[k] for k in sorted(by_id)]
    unknown = [s for s in selected if s not in by_id]
    if unknown:
        raise AuditorError(
            f"unknown framework {', '.join(repr(u) for u in unknown)}; available: {', '.join(sorted(by_id))}"
        )
    return [by_id[s] for s in dict.fromkeys(selected)]


def _profiles_from(node: Traversable | Path, found: dict[str, RetentionProfile]) -> None:
    source = str(node)
    document = _read_yaml(node, source)
    _validate(document, _PROFILES_SCHEMA, source)
    for name, raw in document["profiles"].items():
        if raw["hot_retention_days"] > raw["retention_days"]:
            raise ValidationError(
                f"{source}: field profiles.{name}.hot_retention_days: "
                f"{raw['hot_retention_days']} exceeds retention_days {raw['retention_days']}"
            )
        if name in found:
            raise ValidationError(f"retention profile {name!r} is defined twice: {found[name].source} and {source}")
        found[name] = RetentionProfile(
            name=name,
            retention_days=raw["retention_days"],
            hot_retention_days=raw["hot_retention_days"],
            description=raw.get("description", ""),
            source=source,
        )


def load_profiles(extra_dirs: Sequence[Path] = ()) -> dict[str, RetentionProfile]:
    """Shipped retention profiles plus those in ``<DIR>/profiles/*.yaml``.

    A profile name defined twice (also: redefining ``pci`` or ``hipaa``) is an
    error naming both files: a silently overridden legal minimum would be worse
    than a refusal.
    """
    found: dict[str, RetentionProfile] = {}
    shipped = _shipped_dir() / _PROFILES_DIR
    if not shipped.is_dir():
        raise AuditorError(f"retention profiles not found at {shipped}: broken installation")
    for node in _yaml_files(shipped):
        _profiles_from(node, found)
    for folder in extra_dirs:
        sub = _check_extra_dir(folder) / _PROFILES_DIR
        if sub.is_dir():
            for node in _yaml_files(sub):
                _profiles_from(node, found)
    return dict(sorted(found.items()))


# --------------------------------------------------------------------------- roll-up


def _unjudged(control: Control, retention_ok: bool) -> ControlVerdict:
    """A control's verdict before any finding is weighed: what it is, and whether the retention suffices."""
    return ControlVerdict(
        id=control.id,
        title=control.title,
        status="MANUAL",
        automation=control.automation,
        checks=control.checks,
        section=control.section,
        description=control.description,
        notes=control.notes,
        retention_satisfied=retention_ok,
        why=dict(control.why),
    )


def _judged(verdict: ControlVerdict, findings_by_check: Mapping[str, Sequence[Finding]]) -> ControlVerdict:
    """``verdict`` judged again from these findings: its status, findings, waiver and unrun checks replaced."""
    status, ids, waived = _status(verdict, findings_by_check)
    unrun = () if verdict.automation == MANUAL else tuple(c for c in verdict.checks if not findings_by_check.get(c))
    return replace(verdict, status=status, findings=ids, waived=waived, unassessed_checks=unrun)


def _status(
    verdict: ControlVerdict, findings_by_check: Mapping[str, Sequence[Finding]]
) -> tuple[str, tuple[str, ...], bool]:
    """(status, the findings it rests on, whether a waiver made the PASS) of a control's checks' findings."""
    if verdict.automation == MANUAL:
        return "MANUAL", (), False
    results = [f for check in verdict.checks for f in findings_by_check.get(check, ())]
    if not results:
        return "NOT_ASSESSED", (), False

    def ids(*statuses: Status) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.id for f in results if f.status in statuses))

    if failed := ids(Status.FAIL):
        return "FAIL", failed, False
    if errored := ids(Status.ERROR):
        return "NOT_ASSESSED", errored, False
    judged = ids(Status.PASS, Status.WAIVED)
    if not judged:
        return "NOT_APPLICABLE", ids(Status.NOT_APPLICABLE), False
    if not verdict.retention_satisfied:
        # The checks passed against a weaker retention than this control needs.
        return "NOT_ASSESSED", judged, False
    return "PASS", judged, any(f.status is Status.WAIVED for f in results)


def framework_verdict(
    framework: Framework,
    findings: Sequence[Finding],
    retention: RetentionRequirement | None = None,
) -> FrameworkVerdict:
    """One framework's control verdicts, counts per status and score.

    ``retention`` is the retention profile the checks ran under (a
    RetentionProfile, or the checkapi.Settings given to the engine).
    """
    unjudged = [_unjudged(c, c.retention_satisfied_by(retention)) for c in framework.controls]
    return _roll_up(framework.id, framework.title, framework.version, unjudged, findings)


def _roll_up(
    fid: str,
    title: str,
    version: str,
    controls: Sequence[ControlVerdict],
    findings: Sequence[Finding],
) -> FrameworkVerdict:
    by_check: dict[str, list[Finding]] = {}
    for finding in findings:
        by_check.setdefault(finding.check_id, []).append(finding)
    verdicts = tuple(_judged(c, by_check) for c in controls)
    counts = {status: 0 for status in CONTROL_STATUSES}
    for verdict in verdicts:
        counts[verdict.status] += 1
    assessed = counts["PASS"] + counts["FAIL"]
    score = counts["PASS"] / assessed if assessed else None
    return FrameworkVerdict(id=fid, title=title, version=version, controls=verdicts, counts=counts, score=score)


def recompute_verdicts(findings: Sequence[Finding], verdicts: Sequence[FrameworkVerdict]) -> list[FrameworkVerdict]:
    """Roll the findings up again into the frameworks of earlier verdicts.

    For the gate: after baseline waivers change statuses (FAIL -> WAIVED) the
    verdicts must follow, from the saved results alone, without the mapping
    files. Each control keeps its checks, automation and retention judgement.
    """
    return [_roll_up(fv.id, fv.title, fv.version, fv.controls, findings) for fv in verdicts]


def apply_mappings(
    findings: Sequence[Finding],
    frameworks: Sequence[Framework],
    retention: RetentionRequirement | None = None,
) -> tuple[list[Finding], list[FrameworkVerdict]]:
    """Fill each finding's ``controls`` and roll the findings up per framework.

    ``controls`` becomes ``{framework_id: [control ids]}`` for the given
    frameworks only (a finding serving none gets ``{}``). Pass the retention
    profile the checks ran under (RetentionProfile or checkapi.Settings):
    without it, controls with a retention need cannot PASS (fail closed).
    """
    index: dict[str, dict[str, list[str]]] = {}
    for framework in frameworks:
        for control in framework.controls:
            for check in control.checks:
                index.setdefault(check, {}).setdefault(framework.id, []).append(control.id)
    mapped = [replace(f, controls={fw: list(ids) for fw, ids in index.get(f.check_id, {}).items()}) for f in findings]
    verdicts = [framework_verdict(fw, mapped, retention) for fw in frameworks]
    return mapped, verdicts


def select_profile(profiles: Mapping[str, RetentionProfile], name: str) -> RetentionProfile:
    """The profile called ``name``; an unknown name is an error listing the known ones."""
    try:
        return profiles[name]
    except KeyError:
        raise AuditorError(f"unknown retention profile {name!r}; available: {', '.join(sorted(profiles))}") from None


def manual_controls(verdict: FrameworkVerdict) -> list[ControlVerdict]:
    """Controls whose evidence the organisation must supply (their ``notes`` say what)."""
    return [c for c in verdict.controls if c.status == "MANUAL"]


def check_coverage(frameworks: Sequence[Framework], known_checks: Collection[str]) -> list[str]:
    """Gaps between the check catalogue and the mappings, as readable problems.

    A check that serves no control is invisible in every compliance report; an
    automated or partial control without a check can never be assessed. Cost
    findings (COST_ONLY_CHECKS) serve no control by design.
    """
    problems: list[str] = []
    served = {check for fw in frameworks for c in fw.controls for check in c.checks}
    for check in sorted(set(known_checks) - served - COST_ONLY_CHECKS):
        problems.append(f"check {check} serves no control in any framework")
    for fw in frameworks:
        for c in fw.controls:
            if c.automation != MANUAL and not c.checks:
                problems.append(f"{fw.id} control {c.id} is {c.automation} but lists no check")
    return problems

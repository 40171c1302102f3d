"""Loading framework and retention-profile files: shipped data, schema errors, user folders."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from auditor.engine.checkapi import Status
from auditor.mapping.frameworks import (
    COST_ONLY_CHECKS,
    apply_mappings,
    check_coverage,
    load_frameworks,
    load_profiles,
)
from auditor.model.errors import AuditorError, ValidationError
from tests.gate.builders import finding
from tests.mapping.catalogue import ALARMS, CATALOGUE

SHIPPED_IDS = {
    "pci-dss-4.0.1",
    "hipaa",
    "gdpr",
    "cis-aws-3.0",
    "cis-aws-5.0",
    "cis-aws-6.0",
    "nist-800-53-r5",
    "soc2",
}

GOOD_FRAMEWORK = """\
id: acme-internal
title: ACME logging standard
version: "2026"
publisher: ACME Security
url: https://intranet.example.com/standards/logging
description: Our own rules for audit logs.
controls:
  - id: LOG-1
    title: Every account has a trail
    description: A logging trail exists everywhere.
    section: Logging
    automation: automated
    checks: [trail-enabled, trail-multi-region]
  - id: LOG-2
    title: Logs are reviewed weekly
    description: The SOC looks at the logs every week.
    section: Review
    automation: manual
    checks: []
    notes: Weekly review minutes.
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def write_profiles(folder: Path, name: str, **profiles: str) -> Path:
    """A retention profiles file profiles/``name`` in ``folder``: each profile a YAML flow mapping."""
    body = "".join(f"  {pid}: {spec}\n" for pid, spec in profiles.items())
    return write(folder, f"profiles/{name}", "version: 1\nprofiles:\n" + body)


def refusal(tmp_path: Path, old: str, new: str) -> str:
    """The message refusing GOOD_FRAMEWORK with ``old`` replaced by ``new``; it names the file."""
    path = write(tmp_path, "broken.yaml", GOOD_FRAMEWORK.replace(old, new))
    with pytest.raises(ValidationError) as info:
        load_frameworks(CATALOGUE, extra_dirs=[tmp_path])
    message = str(info.value)
    assert str(path) in message
    return message


# ----------------------------------------------------------------- shipped frameworks


def test_every_shipped_framework_loads_against_the_catalogue() -> None:
    frameworks = load_frameworks(CATALOGUE)
    assert {f.id for f in frameworks} == SHIPPED_IDS
    for fw in frameworks:
        assert fw.controls, fw.id
        assert fw.url.startswith("https://"), fw.id
        assert Path(fw.source).name.endswith(".yaml")


def test_every_catalogue_check_serves_a_control_except_cost_findings() -> None:
    frameworks = load_frameworks(CATALOGUE)
    served = {c for fw in frameworks for ctrl in fw.controls for c in ctrl.checks}
    assert CATALOGUE - served == COST_ONLY_CHECKS
    assert COST_ONLY_CHECKS <= CATALOGUE
    assert check_coverage(frameworks, CATALOGUE) == []


def test_every_automated_or_partial_control_has_a_check_and_every_manual_one_says_what_to_supply() -> None:
    for fw in load_frameworks(CATALOGUE):
        for ctrl in fw.controls:
            if ctrl.automation == "manual":
                assert ctrl.checks == () and ctrl.notes.strip(), (fw.id, ctrl.id)
            else:
                assert ctrl.checks, (fw.id, ctrl.id)
            if ctrl.automation == "partial":
                assert ctrl.notes.strip(), (fw.id, ctrl.id)


def test_issue_named_manual_controls_are_present() -> None:
    by_id = {fw.id: {c.id: c for c in fw.controls} for fw in load_frameworks(CATALOGUE)}
    assert by_id["pci-dss-4.0.1"]["10.7.3"].automation == "manual"
    assert by_id["pci-dss-4.0.1"]["10.4.2"].automation == "manual"
    assert by_id["hipaa"]["164.308(a)(1)(ii)(D)"].automation == "partial"
    retention = by_id["pci-dss-4.0.1"]["10.5.1"].checks
    assert retention[:2] == ("bucket-retention", "bucket-hot-retention")


@pytest.mark.parametrize("fid", ["cis-aws-3.0", "cis-aws-5.0"])
def test_cis_monitoring_items_follow_the_metric_filter_order(fid: str) -> None:
    (fw,) = load_frameworks(CATALOGUE, selected=[fid])
    by_id = {c.id: c for c in fw.controls}
    for number, alarm in enumerate(ALARMS, start=1):
        assert by_id[f"4.{number}"].checks == (alarm,)
    assert by_id["3.2"].checks == ("trail-log-file-validation",)


def test_cis_6_renumbers_logging_to_4_and_monitoring_to_5_with_the_same_checks() -> None:
    """v6.0's 4.n and 5.n are v5.0's 3.n and 4.n: same checks, same automation, new numbers."""
    (v5,) = load_frameworks(CATALOGUE, selected=["cis-aws-5.0"])
    (v6,) = load_frameworks(CATALOGUE, selected=["cis-aws-6.0"])
    old = {c.id: c for c in v5.controls}
    new = {c.id: c for c in v6.controls}
    assert set(new) == {f"{int(i.split('.')[0]) + 1}.{i.split('.')[1]}" for i in old}
    for cid, ctrl in old.items():
        section, number = cid.split(".")
        moved = new[f"{int(section) + 1}.{number}"]
        assert (moved.checks, moved.automation, moved.title) == (ctrl.checks, ctrl.automation, ctrl.title)
    for number, alarm in enumerate(ALARMS, start=1):
        assert new[f"5.{number}"].checks == (alarm,)
    manual = [c for c in v6.controls if c.automation == "manual"]
    assert manual and all(c.notes.strip().startswith("Not checked by trail-auditor. Supply") for c in manual)


def test_shipped_mappings_cover_the_registered_checks() -> None:
    from auditor.engine.registry import all_checks

    registered = {c.meta.id for c in all_checks()}
    missing = CATALOGUE - registered
    if missing:
        pytest.skip(f"registry lacks {len(missing)} catalogue checks (not written yet)")
    frameworks = load_frameworks(registered)
    assert check_coverage(frameworks, registered) == []


def test_selected_frameworks_come_back_in_the_requested_order() -> None:
    frameworks = load_frameworks(CATALOGUE, selected=["soc2", "hipaa"])
    assert [f.id for f in frameworks] == ["soc2", "hipaa"]


def test_unknown_selected_framework_lists_the_available_ids() -> None:
    with pytest.raises(AuditorError, match=r"unknown framework 'pci'.*available:.*pci-dss-4\.0\.1"):
        load_frameworks(CATALOGUE, selected=["pci"])


# ----------------------------------------------------------------- schema errors


def test_missing_control_title_names_file_control_and_field(tmp_path: Path) -> None:
    message = refusal(tmp_path, "    title: Every account has a trail\n", "")
    assert "control LOG-1" in message
    assert "controls[0]" in message and "'title' is a required property" in message


def test_missing_framework_title_names_the_file(tmp_path: Path) -> None:
    text = GOOD_FRAMEWORK.replace("title: ACME logging standard\n", "")
    path = write(tmp_path, "broken.yaml", text)
    with pytest.raises(ValidationError, match=re.escape(str(path)) + r".*'title' is a required"):
        load_frameworks(CATALOGUE, extra_dirs=[tmp_path])


def test_bad_automation_value_names_file_control_and_field(tmp_path: Path) -> None:
    message = refusal(tmp_path, "automation: automated", "automation: mostly")
    assert "control LOG-1 field controls[0].automation" in message
    assert "'mostly'" in message


def test_unknown_check_id_names_file_control_and_field(tmp_path: Path) -> None:
    message = refusal(tmp_path, "[trail-enabled, trail-multi-region]", "[trail-enabled, trail-multiregion]")
    assert "control LOG-1 field controls[0].checks[1]" in message
    assert "'trail-multiregion'" in message


def test_manual_control_may_not_list_checks(tmp_path: Path) -> None:
    write(tmp_path, "broken.yaml", GOOD_FRAMEWORK.replace("checks: []", "checks: [trail-enabled]"))
    with pytest.raises(ValidationError, match=r"control LOG-2 field controls\[1\]\.checks"):
        load_frameworks(CATALOGUE, extra_dirs=[tmp_path])


def test_duplicate_control_id_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "broken.yaml", GOOD_FRAMEWORK.replace("id: LOG-2", "id: LOG-1"))
    with pytest.raises(ValidationError, match=r"control LOG-1 field controls\[1\]\.id: duplicate"):
        load_frameworks(CATALOGUE, extra_dirs=[tmp_path])


def test_yaml_syntax_error_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.yaml", "id: [unclosed\n")
    with pytest.raises(ValidationError, match=re.escape(str(path)) + ":2: not valid YAML"):  # file and line
        load_frameworks(CATALOGUE, extra_dirs=[tmp_path])


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    write(tmp_path, "evil.yaml", "!!python/object/apply:os.system ['true']\n")
    with pytest.raises(ValidationError, match="not valid YAML"):
        load_frameworks(CATALOGUE, extra_dirs=[tmp_path])


def test_empty_file_is_a_schema_error(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.yaml", "")
    with pytest.raises(ValidationError, match=re.escape(str(path)) + r": field \(document\)"):
        load_frameworks(CATALOGUE, extra_dirs=[tmp_path])


# ----------------------------------------------------------------- organisation frameworks


def test_user_framework_loads_and_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "acme.yml", GOOD_FRAMEWORK)
    frameworks = load_frameworks(CATALOGUE, extra_dirs=[tmp_path])
    assert {f.id for f in frameworks} == SHIPPED_IDS | {"acme-internal"}
    (acme,) = [f for f in frameworks if f.id == "acme-internal"]
    assert acme.source == str(path)
    mapped, verdicts = apply_mappings([finding("trail-enabled", Status.FAIL, region="global")], [acme])
    assert mapped[0].controls == {"acme-internal": ["LOG-1"]}
    (verdict,) = verdicts
    assert [(c.id, c.status) for c in verdict.controls] == [("LOG-1", "FAIL"), ("LOG-2", "MANUAL")]
    assert verdict.score == 0.0


def test_duplicate_framework_id_names_both_files(tmp_path: Path) -> None:
    first = write(tmp_path / "a", "one.yaml", GOOD_FRAMEWORK)
    second = write(tmp_path / "b", "two.yaml", GOOD_FRAMEWORK)
    with pytest.raises(ValidationError) as info:
        load_frameworks(CATALOGUE, extra_dirs=[tmp_path / "a", tmp_path / "b"])
    assert str(first) in str(info.value) and str(second) in str(info.value)


def test_user_file_may_not_reuse_a_shipped_framework_id(tmp_path: Path) -> None:
    write(tmp_path, "pci.yaml", GOOD_FRAMEWORK.replace("id: acme-internal", "id: pci-dss-4.0.1"))
    pattern = r"pci-dss-4\.0\.1.*defined twice.*pci-dss-4\.0\.1\.yaml"
    with pytest.raises(ValidationError, match=pattern):
        load_frameworks(CATALOGUE, extra_dirs=[tmp_path])


def test_missing_mappings_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(AuditorError, match="does not exist"):
        load_frameworks(CATALOGUE, extra_dirs=[tmp_path / "nope"])


def test_coverage_reports_an_automated_control_without_checks(tmp_path: Path) -> None:
    write(tmp_path, "acme.yaml", GOOD_FRAMEWORK.replace("[trail-enabled, trail-multi-region]", "[]"))
    frameworks = load_frameworks(CATALOGUE, extra_dirs=[tmp_path], selected=["acme-internal"])
    problems = check_coverage(frameworks, ["trail-enabled"])
    assert "acme-internal control LOG-1 is automated but lists no check" in problems
    assert "check trail-enabled serves no control in any framework" in problems


# ----------------------------------------------------------------- retention profiles


def test_shipped_profiles_hold_pci_and_hipaa_retention() -> None:
    profiles = load_profiles()
    assert (profiles["pci"].retention_days, profiles["pci"].hot_retention_days) == (365, 90)
    assert (profiles["hipaa"].retention_days, profiles["hipaa"].hot_retention_days) == (2190, 90)


def test_custom_profile_in_a_mappings_folder_loads(tmp_path: Path) -> None:
    path = write_profiles(
        tmp_path,
        "acme.yaml",
        sox="{retention_days: 2555, hot_retention_days: 180, description: Seven years for SOX evidence.}",
    )
    profiles = load_profiles([tmp_path])
    assert set(profiles) == {"pci", "hipaa", "sox"}
    assert profiles["sox"].retention_days == 2555
    assert profiles["sox"].source == str(path)


def test_mappings_folder_without_profiles_adds_none(tmp_path: Path) -> None:
    write(tmp_path, "acme.yaml", GOOD_FRAMEWORK)
    assert set(load_profiles([tmp_path])) == {"pci", "hipaa"}


def test_redefining_a_shipped_profile_is_refused_naming_both_files(tmp_path: Path) -> None:
    path = write_profiles(tmp_path, "weak.yaml", pci="{retention_days: 30, hot_retention_days: 30}")
    with pytest.raises(ValidationError, match=r"'pci' is defined twice.*retention\.yaml.*") as info:
        load_profiles([tmp_path])
    assert str(path) in str(info.value)


def test_profile_schema_error_names_file_and_field(tmp_path: Path) -> None:
    path = write_profiles(tmp_path, "bad.yaml", acme="{retention_days: -1, hot_retention_days: 0}")
    with pytest.raises(ValidationError) as info:
        load_profiles([tmp_path])
    assert str(path) in str(info.value)
    assert "profiles.acme.retention_days" in str(info.value)


def test_hot_retention_longer_than_retention_is_refused(tmp_path: Path) -> None:
    write_profiles(tmp_path, "bad.yaml", acme="{retention_days: 30, hot_retention_days: 90}")
    with pytest.raises(ValidationError, match=r"profiles\.acme\.hot_retention_days"):
        load_profiles([tmp_path])


def test_shipped_retention_controls_need_the_matching_profile() -> None:
    profiles = load_profiles()
    fws = {f.id: f for f in load_frameworks(CATALOGUE, selected=["pci-dss-4.0.1", "hipaa"])}
    ten_five_one = next(c for c in fws["pci-dss-4.0.1"].controls if c.id == "10.5.1")
    six_years = next(c for c in fws["hipaa"].controls if c.id == "164.316(b)(2)(i)")
    assert ten_five_one.retention_satisfied_by(profiles["pci"])
    assert ten_five_one.retention_satisfied_by(profiles["hipaa"])
    assert not six_years.retention_satisfied_by(profiles["pci"])
    assert six_years.retention_satisfied_by(profiles["hipaa"])

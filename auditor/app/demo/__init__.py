"""``trail-auditor demo``: the whole job on a simulated organisation, no AWS account needed.

Everything runs in-process against moto: seed the organisation
(auditor.aws.demo_seed), collect exactly as a real scan does, read the log files
and validate the signed digest chain, evaluate, map to frameworks and write
results.json with the HTML, PDF, ASFF and OSCAL reports, then a signed evidence
package that it verifies. The logs are also matched against
the demo's own Sigma rules (auditor/app/demo/sigma/), one of which is a correlation
the evaluator reports as unsupported, so every log capability shows.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from auditor.app.pipeline import EvaluationOptions, build_results, now_iso
from auditor.engine.results import Results
from auditor.model.errors import AuditorError


@dataclass(frozen=True)
class DemoRun:
    """What a demo run produced."""

    results: Results
    files: tuple[Path, ...]
    snapshot_path: Path


def _isolated_environment() -> dict[str, str | None]:
    """Point boto3 at moto only: no real credentials, profiles or endpoints can leak in."""
    saved = {
        k: os.environ.get(k)
        for k in (
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
            "AWS_DEFAULT_REGION",
            "AWS_ENDPOINT_URL",
            "AWS_CONFIG_FILE",
            "AWS_SHARED_CREDENTIALS_FILE",
        )
    }
    for k in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(k, None)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "demo",
            "AWS_SECRET_ACCESS_KEY": "demo",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
    )
    return saved


def _restore(saved: dict[str, str | None]) -> None:
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _archive_s3(account_id: str) -> Any:
    from auditor.aws.demo_seed import HOME, session_for

    return session_for(account_id).client("s3", region_name=HOME)


def demo_rules_dir() -> Path:
    """The folder of the demo's Sigma rules, as installed (editable checkout or wheel).

    A wheel unpacks them onto the file system, where they are used in place; only
    an importer that keeps packages elsewhere (a zip) makes us copy them out first.
    """
    root = resources.files("auditor.app.demo") / "sigma"
    if isinstance(root, Path):
        return root
    target = Path(tempfile.mkdtemp(prefix="trail-auditor-demo-sigma-"))
    for item in root.iterdir():
        if item.is_file() and item.name.endswith((".yml", ".yaml")):
            (target / item.name).write_bytes(item.read_bytes())
    return target


DEMO_EXTRA_HINT = (
    "trail-auditor demo needs moto, which a plain install leaves out: "
    "pip install 'trail-auditor[demo]' (in a checkout: pip install '.[demo]')"
)


def _moto_mock_aws() -> Any:
    """moto's ``mock_aws``, imported only when the demo runs.

    moto (and its server extras) is the ``demo`` extra, not a dependency: a
    production install stays lean, and without it the demo says in one line
    how to get it instead of failing with an ImportError traceback.
    """
    try:
        from moto import mock_aws
    except ImportError as exc:
        raise AuditorError(DEMO_EXTRA_HINT) from exc
    return mock_aws


def build_demo(output_dir: Path, console: Any = None) -> tuple[Results, Path]:
    """Seed, collect, read logs and digests, evaluate. Returns results and the snapshot path."""
    mock_aws = _moto_mock_aws()
    from auditor.app.console import RichProgress
    from auditor.aws.collect import CollectOptions, collect_with_sessions
    from auditor.aws.demo_logs import write_demo_logs
    from auditor.aws.demo_moto import taught
    from auditor.aws.demo_seed import (
        HOME,
        REGIONS,
        ROLE_NAME,
        WINDOW_HOURS,
        seed_organization,
    )
    from auditor.aws.trail_logs import read_trail_evidence
    from auditor.integrity.fixtures import build_chain, generate_demo_key, seed_signed_chain
    from auditor.model.snapshot_io import save_snapshot

    saved = _isolated_environment()
    try:
        with mock_aws(), taught():  # moto lacks CloudTrail Lake and CloudTrail's delegated admin
            started = now_iso()
            org = seed_organization(REGIONS)
            now = datetime.now(UTC).replace(microsecond=0)
            # Written as the log archive account, which owns the bucket.
            s3 = _archive_s3(org.log_archive)
            for account in (org.management, org.workload):
                write_demo_logs(s3, org.org_bucket, org.org_id, account, now)
            private_key, public_keys = generate_demo_key()
            keys_file = Path(tempfile.mkdtemp(prefix="trail-auditor-demo-")) / "public-keys.json"
            keys_file.write_text(json.dumps(public_keys), encoding="utf-8")
            # CloudTrail writes a digest every hour for every account and region an organisation
            # trail covers; only the management account's home-region chain is tampered with.
            chain_start = now - timedelta(hours=WINDOW_HOURS)
            for account in (org.management, org.log_archive, org.workload):
                for region in REGIONS:
                    chain = build_chain(
                        org.org_bucket,
                        None,
                        account,
                        region,
                        chain_start,
                        WINDOW_HOURS,
                        private_key,
                        org_id=org.org_id,
                        trail_arn=org.org_trail_arn,
                    )
                    seed_signed_chain(s3, chain, tamper=(account, region) == (org.management, HOME))
            options = CollectOptions(organization=True, role_name=ROLE_NAME, regions=REGIONS)
            progress = RichProgress(console) if console is not None else None
            snapshot, sessions = collect_with_sessions(options, progress=progress)
            snapshot = read_trail_evidence(
                snapshot,
                options,
                since=f"{WINDOW_HOURS}h",
                public_keys=keys_file,
                rules_dir=demo_rules_dir(),
                console=console,
                now=now,
                sessions=sessions,
            )
            output_dir.mkdir(parents=True, exist_ok=True)
            _write_athena_files(output_dir, org.org_bucket, org.org_id, now - timedelta(hours=WINDOW_HOURS), now)
            snapshot_path = output_dir / "snapshot.json"
            digest = save_snapshot(snapshot, snapshot_path)
            results = build_results(snapshot, EvaluationOptions(), started_at=started, snapshot_sha256=digest)
            return results, snapshot_path
    finally:
        _restore(saved)


def _write_athena_files(output_dir: Path, bucket: str, org_id: str, since: datetime, until: datetime) -> None:
    """The Athena engine on the demo's bucket, as text to review: the table's DDL and the statements
    ``logs --engine athena --explain`` prints for the demo's window, Sigma rules and correlations (nothing runs)."""
    from auditor.logs import LogWindow
    from auditor.logs.sigma import load_ruleset
    from auditor.logs.sql.ddl import athena_ddl
    from auditor.logs.sql.explain import explain
    from auditor.logs.sql.queries import Scope
    from auditor.logs.sql.remote import window_text
    from auditor.model.fsio import write_file

    write_file(
        output_dir / "athena-table.sql", athena_ddl(bucket, org_id=org_id, database="default", table="cloudtrail_logs")
    )
    scope = Scope(*window_text(LogWindow(since, until)))
    write_file(
        output_dir / "athena-explain.sql", explain("default.cloudtrail_logs", scope, load_ruleset(demo_rules_dir()))
    )


def run_demo(
    output_dir: Path,
    *,
    formats: Sequence[str] = ("json", "html", "pdf", "asff", "oscal"),
    org_name: str = "Example Corp (demo)",
    label: str = "DEMO - SIMULATED DATA",
    page_size: str = "A4",
    console: Any = None,
    evidence_package: Path | None = None,
    sign_key: Any = None,
) -> int:
    """Run the demo end to end; print where the outputs are; return the scan's exit code.

    Besides the reports, the demo writes a signed evidence package
    (``evidence-package.zip`` unless ``evidence_package`` names another file) and
    verifies it. Without ``sign_key`` it signs with a key made for this run and
    writes only its public half (``<package>.pub.pem``) beside the package, so
    `trail-auditor verify-package --public-key` can be tried on it.
    """
    from auditor.app.console import print_summary
    from auditor.report import ReportOptions, render

    results, snapshot_path = build_demo(output_dir, console)
    files = render(
        results,
        list(formats),
        output_dir,
        ReportOptions(org_name=org_name, label=label, page_size="Letter" if page_size == "Letter" else "A4"),
    )
    package, public_pem, verdict = write_demo_package(
        results, snapshot_path, files, evidence_package or output_dir / "evidence-package.zip", sign_key
    )
    if console is not None:
        print_summary(console, results)
        console.print(f"\nDemo organisation scanned. Snapshot: {snapshot_path}", markup=False, highlight=False)
        for f in (*files, package, *([public_pem] if public_pem else [])):
            console.print(f"  {f}", markup=False, highlight=False)
        console.print(f"Evidence package verified: {verdict}", markup=False, highlight=False)
        console.print(
            "The demo's findings are intentional: the simulated organisation is "
            "configured with a realistic mix of sound and broken settings."
        )
    # The demo succeeded if it produced its outputs; its findings are the point, not a failure.
    return 0


def write_demo_package(
    results: Results, snapshot_path: Path, reports: Sequence[Path], out: Path, sign_key: Any = None
) -> tuple[Path, Path | None, str]:
    """Write the demo's signed evidence package and verify it; (package, public key file or None, verdict)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from auditor import __version__
    from auditor.model.fsio import write_file
    from auditor.model.snapshot_io import load_snapshot
    from auditor.report.package import build_package, evidence_members, key_fingerprint, verify_package

    key = sign_key or Ed25519PrivateKey.generate()
    snapshot = load_snapshot(snapshot_path)
    members = evidence_members(
        results,
        snapshot_text=snapshot_path.read_text(encoding="utf-8"),
        log_evidence=snapshot.log_evidence,
        integrity=snapshot.integrity,
        reports=reports,
    )
    package = build_package(
        out,
        members,
        tool_version=__version__,
        created_at=results.scan.evaluated_at or results.scan.finished_at,
        scan_id=results.scan.id,
        sign_key=key,
    )
    public_pem = None
    if sign_key is None:  # the run's own key: leave its public half to verify with (the user has theirs)
        public_pem = out.with_name(out.stem + ".pub.pem")
        write_file(public_pem, key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    report = verify_package(package, key.public_key())
    if not report.ok:  # our own package, just written: failing to verify it is a bug
        raise RuntimeError(f"the demo's evidence package did not verify: {report.problems[:3]}")
    verdict = (
        f"{len(report.verified)} members match the manifest, signature valid "
        f"(key sha256:{key_fingerprint(key.public_key())[:16]})"
    )
    return package, public_pem, verdict

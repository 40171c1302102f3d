"""Where results go: output targets checked before collecting, writing, history, notification."""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.text import Text

from auditor.app.cli.options import (
    DEFAULT_FAIL_ON,
    DEFAULT_FORMATS,
    EXIT_FAIL,
    EXIT_INCOMPLETE,
    EXIT_USAGE,
    error_line,
)
from auditor.app.console import (
    plural,
    print_errors,
    print_lines,
    print_summary,
    stderr_console,
)
from auditor.app.pipeline import EvaluationOptions, exit_code
from auditor.engine.checkapi import Severity
from auditor.engine.results import Results
from auditor.gate.baseline import Baseline
from auditor.model.errors import AuditorError
from auditor.model.textsafe import clean_text


@dataclass(frozen=True)
class Out:
    """Where and how a command writes its results."""

    output_dir: Path
    formats: tuple[str, ...]
    output: str | None
    org_name: str
    label: str
    page_size: str


def load_baseline(args: argparse.Namespace) -> Baseline | None:
    """The --baseline file, loaded and validated once per command."""
    path = getattr(args, "baseline", None)
    if path is None:
        return None
    from auditor.gate.baseline import load_baseline

    return load_baseline(path)


def eval_options(
    args: argparse.Namespace, baseline: Baseline | None, sections: Sequence[str] | None = None
) -> EvaluationOptions:
    overrides: dict[str, Severity] = {}
    trusted = tuple(getattr(args, "trusted_accounts", ()) or ())
    chosen = getattr(args, "retention_profile", None)
    frameworks = getattr(args, "frameworks", None)
    profile = chosen or "pci"
    required_tags: tuple[str, ...] = ()
    if baseline is not None:
        required_tags = baseline.required_tags
        overrides = dict(baseline.severity_overrides)
        trusted = tuple(sorted({*trusted, *baseline.trusted_accounts}))
        profile = chosen or baseline.profile or profile  # the command line wins over the baseline
        frameworks = frameworks or (list(baseline.frameworks) or None)
    return EvaluationOptions(
        frameworks=frameworks,
        mapping_dirs=tuple(getattr(args, "mappings", []) or []),
        retention_profile=profile,
        trusted_accounts=trusted,
        required_tags=required_tags,
        severity_overrides=overrides,
        sections=sections,
    )


def formats_of(args: argparse.Namespace) -> tuple[str, ...]:
    """The chosen formats; without --format: json for -o (one file or stdout), else json,html."""
    if args.format:
        return tuple(args.format)
    return ("json",) if getattr(args, "output", None) is not None else DEFAULT_FORMATS


def output_target(args: argparse.Namespace) -> Out:
    return Out(
        output_dir=args.output_dir,
        formats=formats_of(args),
        output=getattr(args, "output", None),
        org_name=getattr(args, "org_name", ""),
        label=getattr(args, "label", "CONFIDENTIAL"),
        page_size=getattr(args, "page_size", "A4"),
    )


def writable_folder(folder: Path, what: str) -> None:
    """Create ``folder`` if needed and prove a file can be written there, or raise a one-line error.

    Called before any collection, so that a typo in an output path costs
    seconds, not a whole scan.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise AuditorError(f"{what} {folder}: cannot write there ({exc.strerror or exc})") from exc


def check_outputs(args: argparse.Namespace) -> None:
    """Every output option is usable: formats fit -o, and every folder written to is writable."""
    out = output_target(args)
    if out.output is not None:
        if len(out.formats) != 1:
            raise AuditorError(
                f"-o/--output takes exactly one --format (got {','.join(out.formats)}); use --output-dir for several"
            )
        if out.output == "-" and out.formats[0] == "pdf":
            raise AuditorError("--format pdf cannot go to stdout: give -o FILE.pdf or --output-dir")
        if out.output != "-":
            writable_folder(Path(out.output).parent, "-o/--output: folder")
    else:
        writable_folder(out.output_dir, "--output-dir")
    snapshot = getattr(args, "snapshot", None)
    if snapshot is not None:
        writable_folder(Path(snapshot).parent, "--snapshot: folder")
    history = getattr(args, "history", None)
    if history and not str(history).startswith("s3://"):
        writable_folder(Path(history), "--history")
    package = getattr(args, "evidence_package", None)
    if package is not None:
        writable_folder(Path(package).parent, "--evidence-package: folder")
    if getattr(args, "sign_key", None) is not None:
        if package is None:
            raise AuditorError("--sign-key signs an evidence package: give --evidence-package FILE.zip too")
        from auditor.report.package import load_private_key

        load_private_key(args.sign_key)  # a wrong key fails now, not after a long scan


def check_evaluation(
    args: argparse.Namespace, baseline: Baseline | None, sections: Sequence[str] | None = None
) -> EvaluationOptions:
    """The evaluation options, with framework ids and the retention profile known to exist."""
    from auditor.app.pipeline import settings_for
    from auditor.engine.registry import all_checks
    from auditor.mapping.frameworks import load_frameworks

    options = eval_options(args, baseline, sections)
    settings_for(options)  # an unknown retention profile fails here, listing the known ones
    load_frameworks({c.meta.id for c in all_checks()}, list(options.mapping_dirs), options.frameworks)
    return options


def write_outputs(results: Results, out: Out, console: Any) -> list[Path]:
    """Write results in every requested format; return the files written."""
    from auditor.report import ReportOptions, render, render_to

    options = ReportOptions(
        org_name=out.org_name, label=out.label, page_size="Letter" if out.page_size == "Letter" else "A4"
    )
    # PDF rendering takes seconds to tens of seconds: say so instead of going silent.
    notice = (
        "Rendering the PDF report (WeasyPrint; this can take a while)..."
        if "pdf" in out.formats
        else "Writing results..."
    )
    with console.status(notice) as status:
        options = replace(options, progress=lambda stage: status.update(clean_text(stage)))
        if out.output is not None:
            written = render_to(results, out.formats[0], Path(out.output) if out.output != "-" else "-", options)
        else:
            out.output_dir.mkdir(parents=True, exist_ok=True)
            written = render(results, out.formats, out.output_dir, options)
    for path in written:
        console.print(f"wrote {path}", markup=False, highlight=False)
    return written


def notify(args: argparse.Namespace, final: Results, console: Any) -> bool:
    """Publish the new failures to --notify-sns; False (and one line on stderr) if that failed.

    Called after the results and reports are written: a missing topic or a
    denied Publish must never cost the scan's results.
    """
    from auditor.aws.sns import sns_client
    from auditor.gate.history import new_failures
    from auditor.gate.notify import notify_new_failures

    try:
        client = sns_client(
            args.notify_sns, profile=getattr(args, "profile", None), endpoint_url=getattr(args, "endpoint_url", None)
        )
        if notify_new_failures(client, args.notify_sns, final):
            console.print(
                f"notified {args.notify_sns} of {len(new_failures(final))} new failure(s)",
                markup=False,
                highlight=False,
            )
    except Exception as exc:  # any failure to publish is reported, never fatal to the results
        from auditor.model.redact import redact as scrubbed

        error_line(
            f"--notify-sns {args.notify_sns}: could not publish the summary "
            f"({type(exc).__name__}: {scrubbed(str(exc))}); the results were written"
        )
        return False
    return True


def securityhub_import(args: argparse.Namespace, final: Results, console: Any) -> bool:
    """Send the findings to Security Hub (--securityhub-import); False (and one line on stderr) if that failed.

    Called after the results and reports are written, like :func:`notify`:
    a denied BatchImportFindings must never cost the scan's results.
    """
    from auditor.aws.securityhub import import_findings, securityhub_session
    from auditor.report.asff import asff_findings

    try:
        hub, sts, region = securityhub_session(
            getattr(args, "profile", None),
            getattr(args, "securityhub_region", None),
            getattr(args, "endpoint_url", None),
        )
        report = import_findings(asff_findings(final), securityhub=hub, sts=sts, region=region)
    except Exception as exc:  # any failure to import is reported, never fatal to the results
        from auditor.model.redact import redact as scrubbed

        error_line(
            f"--securityhub-import: could not import the findings ({type(exc).__name__}: "
            f"{scrubbed(str(exc))}); the results were written"
        )
        return False
    console.print(
        f"imported {report.imported} of {plural(report.sent, 'finding')} into Security Hub "
        f"({report.account_id or 'unknown account'}, {region}) in {plural(report.batches, 'call')}",
        markup=False,
        highlight=False,
    )
    if report.skipped_other_accounts:
        console.print(
            f"  not imported: {plural(report.skipped_other_accounts, 'finding')} of other accounts "
            f"({', '.join(report.accounts_skipped[:5])}{', ...' if len(report.accounts_skipped) > 5 else ''}"
            "); Security Hub takes a custom finding only from its own account",
            markup=False,
            highlight=False,
        )
    for fid, code, message in report.failed[:20]:
        error_line(f"--securityhub-import: {fid}: {code}: {message}")
    if report.error is not None:
        error_line(
            f"--securityhub-import: stopped after {plural(report.sent, 'finding')}: {report.error}; "
            "the results were written"
        )
    elif report.failed:
        error_line(
            f"--securityhub-import: Security Hub refused {plural(len(report.failed), 'finding')}; "
            "the results were written"
        )
    return report.ok


def package_members(final: Results, written: Sequence[Path], snapshot: Any) -> dict[str, bytes]:
    """The evidence package's members for these results, their snapshot and the reports written."""
    from auditor.report.package import evidence_members

    if snapshot is None:
        return evidence_members(final, reports=written)
    from auditor.model.snapshot_io import snapshot_text

    return evidence_members(
        final,
        snapshot_text=snapshot_text(snapshot)[0],
        log_evidence=snapshot.log_evidence,
        integrity=snapshot.integrity,
        reports=written,
    )


def write_package(
    args: argparse.Namespace, final: Results, written: Sequence[Path], snapshot: Any, console: Any
) -> Path:
    """Write --evidence-package (signed with --sign-key); return its path."""
    from auditor import __version__
    from auditor.report.package import build_package, load_private_key

    key = load_private_key(args.sign_key) if getattr(args, "sign_key", None) is not None else None
    path = build_package(
        Path(args.evidence_package),
        package_members(final, written, snapshot),
        tool_version=__version__,
        created_at=final.scan.evaluated_at or final.scan.finished_at,
        scan_id=final.scan.id,
        sign_key=key,
    )
    console.print(
        f"wrote {path} (evidence package{', signed' if key is not None else ''})", markup=False, highlight=False
    )
    return path


def finish(
    results: Results,
    args: argparse.Namespace,
    console: Any,
    baseline: Baseline | None,
    *,
    summary: bool = True,
    snapshot: Any = None,
) -> int:
    """Baseline, history, the summary on stderr, the outputs, then notification; the exit code.

    ``summary=False`` when the command already said in one line why nothing
    could be judged (``logs`` on a folder without CloudTrail files).
    """
    final = results
    fail_on: Severity = args.fail_on or (baseline.fail_on if baseline is not None else DEFAULT_FAIL_ON)
    allow_incomplete = args.allow_incomplete or (baseline is not None and baseline.allow_incomplete)
    if baseline is not None:
        from auditor.gate.decision import apply_baseline

        outcome = apply_baseline(results, baseline, today=datetime.now(UTC).date())
        final = outcome.results
        for w in outcome.expired_waivers:  # the same warning `gate` prints
            stderr_console().print(
                Text(
                    f"expired waiver (no longer applies): {w.check} {w.resource} "
                    f"expired {w.expires}, owner {w.owner} [{w.origin}]"
                ),
                style="yellow",
            )
    store, history_error = None, None
    if getattr(args, "history", None):
        from auditor.aws.history_store import store_for
        from auditor.gate.history import attach

        store = store_for(
            args.history, profile=getattr(args, "profile", None), endpoint_url=getattr(args, "endpoint_url", None)
        )
        try:
            final, previous = attach(store, final)  # reads only: outputs are written before the store is
        except AuditorError as exc:  # an unlistable store must not cost the results: write, then report
            store, previous, history_error = None, None, exc
        print_lines(console, [f"  history problem: {p}" for p in (final.history or {}).get("problems", [])[:20]])
        drift = (final.history or {}).get("drift")
        if previous is not None and isinstance(drift, dict):
            console.print(
                f"since {previous.scan.id}: {len(drift['new'])} new, {len(drift['resolved'])} "
                f"resolved, {plural(len(drift['regressions']), 'regression')}",
                markup=False,
            )
    if summary and args.quiet:
        print_errors(stderr_console(), final)  # -q hides everything but errors; missing evidence is one
    elif summary:
        print_summary(console, final)
    written = write_outputs(final, output_target(args), console)
    if getattr(args, "evidence_package", None) is not None:
        write_package(args, final, written, snapshot, console)
    if store is not None:
        from auditor.gate.history import store_entry

        console.print(f"stored {store_entry(store, final)}", markup=False, highlight=False)
    if history_error is not None:
        raise history_error
    code = exit_code(final.findings, fail_on, allow_incomplete)
    if getattr(args, "notify_sns", None) and not notify(args, final, console):
        code = code if code in (EXIT_FAIL, EXIT_INCOMPLETE) else EXIT_USAGE
    if getattr(args, "securityhub_import", False) and not securityhub_import(args, final, console):
        code = code if code in (EXIT_FAIL, EXIT_INCOMPLETE) else EXIT_USAGE
    return code


def write_output(path: Path, text: str) -> None:
    from auditor.model.fsio import write_file

    try:
        write_file(path, text)
    except OSError as exc:
        raise AuditorError(f"cannot write {path}: {exc.strerror or exc}") from None


def load_results(path: Path) -> Results:
    from auditor.engine.results_io import load_results

    return load_results(path)

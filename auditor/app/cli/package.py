"""`verify-package`: re-check an evidence package (``--evidence-package``) without extracting it."""

from __future__ import annotations

import argparse
from pathlib import Path

from auditor.app.cli.options import EXIT_FAIL, EXIT_OK, EXIT_USAGE, Command, add_common, error_line
from auditor.app.console import print_lines, stderr_console
from auditor.model.textsafe import clean_text


def add_parsers(command: Command) -> None:
    """Add this module's subcommands."""
    vp = command(
        "verify-package",
        "re-check an evidence package's members against its manifest and signature",
        "trail-auditor verify-package audit/evidence.zip",
        "trail-auditor verify-package audit/evidence.zip --public-key signing-key.pub.pem",
        codes="exit codes: 0 every member matches the manifest (and the signature, with --public-key);\n"
        "1 tampered: a member changed, added or removed, or a bad signature (each is listed);\n"
        "2 unreadable or not an evidence package, or a usage error; 4 internal error (a bug)",
    )
    vp.add_argument("package", type=Path, metavar="FILE.zip", help="a file written by --evidence-package")
    vp.add_argument(
        "--public-key",
        type=Path,
        default=None,
        metavar="KEY.pem",
        help="the Ed25519 public key (PEM) whose signature the manifest must carry",
    )
    add_common(vp)


def cmd_verify_package(args: argparse.Namespace) -> int:
    """Verify a package: 0 valid, 1 tampered, 2 not a package."""
    from auditor.report.package import PackageError, key_fingerprint, load_public_key, verify_package

    console = stderr_console(args.quiet)
    key = load_public_key(args.public_key) if args.public_key is not None else None
    try:
        report = verify_package(args.package, key)
    except PackageError as exc:
        error_line(str(exc))
        return EXIT_USAGE
    if not report.ok:
        lines = [f"{args.package}: TAMPERED or damaged: {len(report.problems)} problem(s)"]
        lines += [f"  {clean_text(name)}: {why}" for name, why in report.problems]  # names are the zip's
        print_lines(stderr_console(), lines)
        return EXIT_FAIL
    signed = (
        f"signature valid (key sha256:{key_fingerprint(key)[:16]})"
        if report.signature == "valid"
        else f"signature {report.signature}"
    )
    console.print(
        f"{args.package}: OK: {len(report.verified)} member(s) match the manifest "
        f"(sha256 {report.manifest_sha256[:16]}, trail-auditor {report.tool_version or '?'}); {signed}",
        markup=False,
        highlight=False,
    )
    print_lines(console, [f"  note: {n}" for n in report.notes])
    return EXIT_OK


RUN = {"verify-package": cmd_verify_package}

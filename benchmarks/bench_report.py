"""Benchmark: render 5,000 findings as HTML and PDF; report time and peak memory.

Targets: PDF < 60 s, HTML < 5 s, peak RSS < 1 GB. Run from the repository root:

    /work/venv/bin/python benchmarks/bench_report.py [--findings 5000] [--out DIR]

Exits non-zero when a target is missed, so CI can run it as a check.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auditor.report import ReportOptions, render_to
from tests.report.sample import scaled_results

HTML_TARGET_S = 5.0
PDF_TARGET_S = 60.0
RSS_TARGET_MB = 1024.0


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--findings", type=int, default=5000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-report-"))
    out.mkdir(parents=True, exist_ok=True)

    results = scaled_results(args.findings)
    options = ReportOptions(org_name="Benchmark Org", generated_at="2026-11-20T13:00:00Z")
    print(f"findings: {len(results.findings)}; baseline RSS {peak_rss_mb():.0f} MB")

    t0 = time.perf_counter()
    (html,) = render_to(results, "html", out / "report.html", options)
    html_s = time.perf_counter() - t0
    print(f"html: {html_s:.2f} s, {html.stat().st_size / 1e6:.2f} MB")

    t0 = time.perf_counter()
    (pdf,) = render_to(results, "pdf", out / "report.pdf", options)
    pdf_s = time.perf_counter() - t0
    rss = peak_rss_mb()
    try:
        import pypdf

        pages = len(pypdf.PdfReader(str(pdf)).pages)
    except ImportError:  # pragma: no cover - pypdf is a dev dependency
        pages = -1
    print(f"pdf: {pdf_s:.2f} s, {pdf.stat().st_size / 1e6:.2f} MB, {pages} pages")
    print(f"peak RSS: {rss:.0f} MB")

    ok = html_s < HTML_TARGET_S and pdf_s < PDF_TARGET_S and rss < RSS_TARGET_MB
    print("PASS" if ok else "FAIL: a target was missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

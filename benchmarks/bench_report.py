"""Benchmark: render 5,000 findings as HTML and PDF; report time and peak memory; page counts of the demo.

Targets: PDF < 60 s, HTML < 5 s, peak RSS < 1 GB for 5,000 findings; with
``--demo-results results.json`` (from ``trail-auditor demo``) also the page
limits of issue 16: the demo PDF with every framework at most 45 pages, each
framework alone at most 25, and every failed or not-assessed control named in
the PDF. Run from the repository root:

    .venv/bin/python benchmarks/bench_report.py [--findings 5000] [--out DIR] [--demo-results FILE]

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

DEMO_MAX_PAGES = 45
SINGLE_FRAMEWORK_MAX_PAGES = 25
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
    parser.add_argument("--demo-results", type=Path, default=None, help="results.json of `trail-auditor demo`")
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

    # The same 5,000 findings without a framework selection: nothing is scoped out of the report.
    from dataclasses import replace

    t0 = time.perf_counter()
    render_to(replace(results, frameworks=()), "pdf", out / "report-unscoped.pdf", options)
    whole_s = time.perf_counter() - t0
    print(f"pdf, no framework selected (all {len(results.findings)} findings in scope): {whole_s:.2f} s")

    ok = html_s < HTML_TARGET_S and max(pdf_s, whole_s) < PDF_TARGET_S and peak_rss_mb() < RSS_TARGET_MB
    if args.demo_results is not None:
        ok = demo_pages(args.demo_results, out) and ok
    print("PASS" if ok else "FAIL: a target was missed")
    return 0 if ok else 1


def demo_pages(results_file: Path, out: Path) -> bool:
    """Page counts of the demo report: all frameworks, then each framework alone; every failed control printed."""
    import json
    from dataclasses import replace

    import pypdf

    from auditor.engine.results import Results

    results = Results.from_dict(json.loads(results_file.read_text()))
    options = ReportOptions(org_name="Example Corp (demo)", generated_at="2026-11-20T13:00:00Z")
    ok = True
    runs = [("all", results.frameworks, DEMO_MAX_PAGES)] + [
        (fw.id, (fw,), SINGLE_FRAMEWORK_MAX_PAGES) for fw in results.frameworks
    ]
    for name, frameworks, limit in runs:
        t0 = time.perf_counter()
        (pdf,) = render_to(replace(results, frameworks=frameworks), "pdf", out / f"demo-{name}.pdf", options)
        reader = pypdf.PdfReader(str(pdf))
        text = "".join("".join((p.extract_text() or "").split()) for p in reader.pages)
        wanted = [c.id for fw in frameworks for c in fw.controls if c.status in ("FAIL", "NOT_ASSESSED")]
        lost = [cid for cid in wanted if "".join(cid.split()) not in text]
        good = len(reader.pages) <= limit and not lost
        ok = ok and good
        print(
            f"demo {name}: {len(reader.pages)} pages (limit {limit}), {len(wanted)} failed or not-assessed "
            f"controls, {len(lost)} missing, {time.perf_counter() - t0:.1f} s{'' if good else '  <- MISSED'}"
        )
    return ok


if __name__ == "__main__":
    sys.exit(main())

"""Normalisation throughput: documents per second per format, on one core.

Usage: python3 bench/bench_normalize.py [--seconds 5] [--reports 8]

Files are generated here from harvester.synth reports (no network): HTML (GBK, Word
style), DOCX, XLSX by harvester.writers, PDF and DOC by LibreOffice (converted once each,
outside the timing). Each format is then normalised repeatedly in this process
(normalize_bytes; DOC includes its LibreOffice conversion) pinned to one CPU, plus
normalize_isolated for PDF to show the cost of the child process.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time

from harvester.normalize import normalize_bytes, normalize_isolated
from harvester.synth import random_record, report_document
from harvester.writers import convert, render_docx, render_html, render_xlsx


def corpus(n: int) -> dict[str, list[bytes]]:
    rng = random.Random(7)
    files: dict[str, list[bytes]] = {"html": [], "docx": [], "xlsx": [], "pdf": [], "doc": []}
    for i in range(n):
        era = "2021" if i % 2 else "2019"
        record = random_record(rng, era, agency="寿县人民政府", year=2018 + 2 * (i % 3) + 1)
        doc = report_document(record)
        docx = render_docx(doc)
        files["html"].append(render_html(doc, encoding="gbk", word_style=True))
        files["docx"].append(docx)
        files["xlsx"].append(render_xlsx(doc))
        if i < 2:  # LibreOffice conversions are slow: two of each
            files["pdf"].append(convert(docx, "docx", "pdf"))
            files["doc"].append(convert(docx, "docx", "doc"))
    return files


def bench(name: str, docs: list[bytes], seconds: float, isolated: bool = False) -> dict:
    fn = normalize_isolated if isolated else normalize_bytes
    fn(docs[0], filename=f"warm.{name}")  # imports and caches outside the timing
    times: list[float] = []
    start = time.perf_counter()
    i = 0
    while time.perf_counter() - start < seconds or len(times) < 2:
        data = docs[i % len(docs)]
        t0 = time.perf_counter()
        doc = fn(data, filename=f"x.{name}")
        times.append(time.perf_counter() - t0)
        assert doc.tables(), f"{name}: no tables"
        i += 1
    total = sum(times)
    return {
        "format": name + (" (isolated)" if isolated else ""),
        "docs": len(times),
        "docs_per_s": len(times) / total,
        "median_ms": statistics.median(times) * 1000,
        "kb": sum(len(d) for d in docs) / len(docs) / 1024,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--reports", type=int, default=8)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    files = corpus(args.reports)
    rows = [bench(fmt, files[fmt], args.seconds) for fmt in ("html", "docx", "xlsx", "pdf")]
    rows.append(bench("pdf", files["pdf"], args.seconds, isolated=True))
    rows.append(bench("doc", files["doc"], args.seconds))
    print("| format | docs timed | docs/s (1 core) | median ms | avg size KB |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['format']} | {r['docs']} | {r['docs_per_s']:.1f} | {r['median_ms']:.0f} | {r['kb']:.0f} |")


if __name__ == "__main__":
    main()

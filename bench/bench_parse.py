"""Parser throughput: reports parsed per second on the seed reports (text input), one core.

python3 bench/bench_parse.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harvester.parser import PARSER_VERSION, parse_text  # noqa: E402
from harvester.parser.values import clean  # noqa: E402
from harvester.world.seed_reports import SEED_DIR as SEEDS  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seconds", type=float, default=10.0, help="how long to run (default 10)")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    texts = [p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    if not texts:
        raise SystemExit(f"no seeds in {SEEDS}")
    for text in texts:  # warm-up; every seed must give its tables
        record = parse_text(text)
        if "applications" not in record:
            raise SystemExit(f"seed without section 三 parsed: {record['warnings']}")
    n = 0
    start = time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        for text in texts:
            clean.cache_clear()  # no help from having seen the same report before
            parse_text(text)
        n += len(texts)
    elapsed = time.perf_counter() - start
    chars = sum(len(t) for t in texts) / len(texts)
    print(
        f"parser {PARSER_VERSION}: {n} reports in {elapsed:.2f} s = {n / elapsed:.1f} reports/s "
        f"on one core ({len(texts)} seeds, {chars:.0f} characters each on average, text input)"
    )


if __name__ == "__main__":
    main()

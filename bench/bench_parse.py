"""Parser throughput: reports parsed per second on the seed reports (text input), one core,
this parser beside a previous one in the same run.

    python3 bench/bench_parse.py [--seconds 10] [--against 4b46703] [--rounds 3]

The previous parser is checked out (`git archive`) into a temporary directory; each
parser runs in its own process pinned to the same core, alternating round by round so
both see the same load, on the same seed texts. The parser's text cache (`clean`) is
cleared before each report (no help from having seen the same report before). Rates are
reports per second of the process's CPU time, so other work sharing the core does not
count against either parser. Before timing, the current parser's records on the seeds
must equal those of `--same-as` (the parser before the speed-ups), or the bench stops.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "harvester" / "world" / "seeds"  # harvester.world.seed_reports.SEED_DIR
DEFAULT_AGAINST = "4b46703"  # the parser before issue 13 (≈170 reports/s)
# The last parser whose records the current one must reproduce exactly (parser 1.1.0
# before its speed-ups of the tokenizer): every seed's record, parser_version aside.
DEFAULT_SAME_AS = "e5060c2"


def _pin() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, the same for both


def _text_caches() -> list:
    """The parser's caches keyed by report text (cleared before each report); caches of
    compiled template patterns are kept, as in any long-running process."""
    from harvester.parser import values

    return [values.clean]


def worker(root: Path, seconds: float) -> dict:
    """Time the parser found under `root` (run in its own process)."""
    _pin()
    sys.path.insert(0, str(root))
    from harvester.parser import PARSER_VERSION, parse_text

    texts = [p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    if not texts:
        raise SystemExit(f"no seeds in {SEEDS}")
    records = []
    for text in texts:  # warm-up; every seed must give its tables
        record = parse_text(text)
        if "applications" not in record:
            raise SystemExit(f"seed without section 三 parsed: {record['warnings']}")
        records.append({k: v for k, v in record.items() if k != "parser_version"})
    if seconds <= 0:  # records only (the identity check)
        return {"version": PARSER_VERSION, "records": records}
    caches = _text_caches()
    n = 0
    start = time.process_time()  # CPU time: other processes on the core do not count
    while time.process_time() - start < seconds:
        for text in texts:
            for cache in caches:
                cache.cache_clear()
            parse_text(text)
        n += len(texts)
    elapsed = time.process_time() - start
    chars = sum(len(t) for t in texts) / len(texts)
    return {
        "version": PARSER_VERSION,
        "reports": n,
        "seconds": elapsed,
        "seeds": len(texts),
        "chars": chars,
    }


def checkout(rev: str, into: Path) -> Path:
    """The tree of `rev` (its harvester package) unpacked into `into`."""
    data = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "harvester"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def run_one(root: Path, seconds: float) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", str(root), "--seconds", str(seconds)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--seconds", type=float, default=10.0, help="seconds per parser per round (default 10)"
    )
    ap.add_argument(
        "--against", default=DEFAULT_AGAINST, help="git revision of the previous parser"
    )
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    ap.add_argument(
        "--same-as",
        default=DEFAULT_SAME_AS,
        help="git revision whose records on the seeds the current parser must equal",
    )
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.seconds)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-parse-") as tmp:
        same_root = checkout(args.same_as, Path(tmp) / "same")
        expected = run_one(same_root, 0)["records"]
        if run_one(ROOT, 0)["records"] != expected:
            raise SystemExit(f"records on the seeds differ from those of {args.same_as}")
        print(f"records on the {len(expected)} seeds identical to {args.same_as}'s", flush=True)
        old_root = checkout(args.against, Path(tmp) / "previous")
        totals: dict[str, list[float]] = {"previous": [], "current": []}
        info: dict[str, dict] = {}
        for r in range(args.rounds):
            for label, root in (("previous", old_root), ("current", ROOT)):
                result = run_one(root, args.seconds)
                rate = result["reports"] / result["seconds"]
                totals[label].append(rate)
                info[label] = result
                print(
                    f"round {r + 1} {label:8} parser {result['version']}: {rate:.1f} reports/s",
                    flush=True,
                )
    seeds, chars = info["current"]["seeds"], info["current"]["chars"]
    best = {k: max(v) for k, v in totals.items()}
    print(
        f"previous ({args.against}, parser {info['previous']['version']}): best {best['previous']:.1f} reports/s; "
        f"current (parser {info['current']['version']}): best {best['current']:.1f} reports/s; "
        f"speed-up ×{best['current'] / best['previous']:.2f} "
        f"(median of rounds ×{sorted(c / p for c, p in zip(totals['current'], totals['previous'], strict=True))[args.rounds // 2]:.2f}); "
        f"one core, {seeds} seeds of {chars:.0f} characters on average, text input"
    )


if __name__ == "__main__":
    main()

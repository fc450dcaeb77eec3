"""Consistent random reports, for tests, the local portal world and demos.

`random_record` makes a record of either template whose numbers satisfy every check;
`report_document` lays it out as the real template does (title, prose, 统计期限 sentence,
the tables of sections 二, 三 and 四 as grids with merged cells); `report_text` renders the
same report as plain text in the shapes real reports take (one cell per line, tab rows,
pipe rows, PDF text).
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from harvester.document import Block, Cell, Document, Table
from harvester.parser.checks import run_checks
from harvester.parser.template import (
    APPLICANT_COLUMNS,
    RESULT_COLUMNS,
    REVIEW_GROUPS,
    T2_ITEMS,
    T3_ROWS,
    T4_HEADERS,
)
from harvester.parser.types import Proactive, ProactiveRow, Record
from harvester.parser.types import Table as RecordTable
from harvester.parser.version import PARSER_VERSION

TEXT_SHAPES = ("cells", "tabs", "pipes", "pdf")
T3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
APPLICANT_HEADERS = ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")
SECTION_TITLES = (
    "一、总体情况",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
)


# --------------------------------------------------------------------------- records
def _count(rng: random.Random, high: int = 40) -> int:
    return 0 if rng.random() < 0.55 else rng.randint(1, high)


def _money(rng: random.Random) -> tuple[str, int | float | None]:
    kind = rng.choice(["亿元", "万元", "元", ""])
    if kind == "亿元":
        d = Decimal(rng.randint(1, 999)) / 100
        return f"{d}亿元", _num(d * 10**8)
    if kind == "万元":
        d = Decimal(rng.randint(100, 9_999_999)) / 100
        return f"{d}万元", _num(d * 10**4)
    if kind == "元":
        n = rng.randint(1000, 99_999_999)
        return f"{n}元", n
    return str(rng.randint(1000, 999_999_999)), None


def _num(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() else float(d)


def _proactive(rng: random.Random, era: str) -> Proactive:
    out: Proactive = {}
    for item in T2_ITEMS[era]:
        row: ProactiveRow = {}
        for col in item.columns:
            if col == "change":
                row[col] = rng.randint(-60, 400) if rng.random() < 0.7 else 0
            elif col == "amount":
                row["amount_raw"], row["amount_yuan"] = _money(rng)
            elif col == "amount_10k_yuan":
                row[col] = _num(Decimal(rng.randint(0, 5_000_000)) / 10_000)
            else:
                row[col] = rng.randint(0, 200) if rng.random() < 0.8 else rng.randint(0, 200_000)
        out[item.key] = row
    return out


def _applications(
    rng: random.Random,
    era: str,
    carried_over: list[int] | None = None,
    carried_forward: list[int] | None = None,
) -> RecordTable:
    keys = [s.key for s in T3_ROWS[era]]
    results = [
        k for k in keys if k not in ("received", "carried_over", "handled_total", "carried_forward")
    ]
    cols: dict[str, list[int]] = {k: [] for k in keys}
    for column in range(6):
        res = {
            k: _count(rng, 30 if k in ("disclosed", "unavailable_not_held") else 8) for k in results
        }
        forward = carried_forward[column] if carried_forward else _count(rng, 5)
        if carried_over:
            over = carried_over[column]
            # 一 + 二 = 七 + 四 with 一 >= 0: more requests disclosed when needed.
            res["disclosed"] += max(0, over - sum(res.values()) - forward)
        else:
            over = min(_count(rng, 5), sum(res.values()) + forward)
        handled = sum(res.values())
        received = handled + forward - over
        for k in results:
            cols[k].append(res[k])
        cols["handled_total"].append(handled)
        cols["carried_forward"].append(forward)
        cols["carried_over"].append(over)
        cols["received"].append(received)
    return {k: dict(zip(APPLICANT_COLUMNS, v + [sum(v)], strict=True)) for k, v in cols.items()}


def _review(rng: random.Random) -> RecordTable:
    out: RecordTable = {}
    for group in REVIEW_GROUPS:
        four = [_count(rng, 6) for _ in range(4)]
        out[group] = dict(zip(RESULT_COLUMNS, four + [sum(four)], strict=True))
    return out


def random_record(
    rng: random.Random,
    era: str,
    *,
    agency: str,
    year: int,
    county: str | None = None,
    carried_over: list[int] | None = None,
    carried_forward: list[int] | None = None,
) -> Record:
    """A record of the given era ("2019" or "2021") whose numbers satisfy every check.

    `carried_over` / `carried_forward` (six applicant columns) fix 上年结转 and 结转下年度,
    so a series of one body's reports agrees from year to year.
    """
    if era not in ("2019", "2021"):
        raise ValueError(f"era must be '2019' or '2021', not {era!r}")
    published = f"{year + 1}-{rng.randint(1, 3):02d}-{rng.randint(1, 28):02d}"
    record: Record = {
        "county": county,
        "adcode": None,
        "agency": agency,
        "year": year,
        "era": era,
        "title": f"{agency}{year}年政府信息公开工作年度报告",
        "url": None,
        "published": published,
        "documents": [],
        "proactive": _proactive(rng, era),
        "applications": _applications(rng, era, carried_over, carried_forward),
        "review_litigation": _review(rng),
    }
    record["checks"] = run_checks(record)
    record["warnings"] = []
    record["parser_version"] = PARSER_VERSION
    return record


# --------------------------------------------------------------------------- grids
def _grid(n_rows: int, n_cols: int, placed: list[tuple[int, int, str, int, int]]) -> Table:
    """A rectangular grid from (row, col, text, rowspan, colspan) placements."""
    rows: list[list[Cell | None]] = [[None] * n_cols for _ in range(n_rows)]
    for r, c, text, rs, cs in placed:
        for dr in range(rs):
            for dc in range(cs):
                if dr == 0 and dc == 0:
                    rows[r][c] = Cell(text, rowspan=rs, colspan=cs)
                else:
                    rows[r + dr][c + dc] = Cell(text, merged=True, origin=(r, c))
    return Table(rows=[[cell or Cell("") for cell in row] for row in rows])


def _fmt(value: Any, col: str = "") -> str:
    if value is None:
        return ""
    if col == "change" and isinstance(value, int) and value > 0:
        return f"+{value}"
    return str(value)


def proactive_table(record: Record) -> Table:
    era = record["era"]
    placed: list[tuple[int, int, str, int, int]] = []
    r = 0
    last_item = None
    for item in T2_ITEMS[era]:
        if item.item != last_item:
            placed.append(
                (
                    r,
                    0,
                    item.item.replace("（", "(").replace("）", ")") if era == "2021" else item.item,
                    1,
                    4,
                )
            )
            r += 1
            heads = list(item.headers)
            placed.append((r, 0, "信息内容", 1, 1))
            for i, h in enumerate(heads):
                placed.append((r, 1 + i, h, 1, 4 - 1 - i if i == len(heads) - 1 else 1))
            r += 1
            last_item = item.item
        row = record["proactive"][item.key]
        texts = [
            row["amount_raw"] or "" if col == "amount" else _fmt(row[col], col)
            for col in item.columns
        ]
        placed.append((r, 0, item.label, 1, 1))
        for i, t in enumerate(texts):
            placed.append((r, 1 + i, t, 1, 4 - 1 - i if i == len(texts) - 1 else 1))
        r += 1
    return _grid(r, 4, placed)


def applications_table(record: Record) -> Table:
    era = record["era"]
    apps = record["applications"]
    specs = T3_ROWS[era]
    placed: list[tuple[int, int, str, int, int]] = [
        (0, 0, T3_NOTE, 3, 3),
        (0, 3, "申请人情况", 1, 7),
        (1, 3, "自然人", 2, 1),
        (1, 4, "法人或其他组织", 1, 5),
        (1, 9, "总计", 2, 1),
    ]
    placed += [(2, 4 + i, h, 1, 1) for i, h in enumerate(APPLICANT_HEADERS)]
    keys = [s.key for s in specs]
    r = 3
    group_starts = {
        "disclosed": (
            "三、本年度办理结果",
            0,
            keys.index("handled_total") - keys.index("disclosed") + 1,
        ),
        "withheld_state_secret": ("（三）不予公开", 1, 8),
        "unavailable_not_held": ("（四）无法提供", 1, 3),
        "rejected_petition": ("（五）不予处理", 1, 5),
        "other_no_correction": ("（六）其他处理", 1, 3),
    }
    in_sub = False
    for spec in specs:
        if spec.key in group_starts:
            text, col, span = group_starts[spec.key]
            placed.append((r, col, text, span, 1))
            if col == 1:
                in_sub = True
        if spec.key in ("received", "carried_over", "carried_forward"):
            placed.append((r, 0, spec.label, 1, 3))
            in_sub = False
        elif spec.key in ("disclosed", "partially_disclosed", "other", "handled_total"):
            placed.append((r, 1, spec.label, 1, 2))
            in_sub = False
        else:
            placed.append((r, 2 if in_sub else 1, spec.label, 1, 1 if in_sub else 2))
        for i, col in enumerate(APPLICANT_COLUMNS):
            placed.append((r, 3 + i, _fmt(apps[spec.key][col]), 1, 1))
        r += 1
    return _grid(r, 10, placed)


def review_table(record: Record) -> Table:
    rl = record["review_litigation"]
    placed: list[tuple[int, int, str, int, int]] = [
        (0, 0, "行政复议", 1, 5),
        (0, 5, "行政诉讼", 1, 10),
        (1, 5, "未经复议直接起诉", 1, 5),
        (1, 10, "复议后起诉", 1, 5),
    ]
    placed += [(1, i, h, 2, 1) for i, h in enumerate(T4_HEADERS)]
    placed += [(2, 5 + i, h, 1, 1) for i, h in enumerate(T4_HEADERS * 2)]
    values = [rl[g][c] for g in REVIEW_GROUPS for c in RESULT_COLUMNS]
    placed += [(3, i, _fmt(v), 1, 1) for i, v in enumerate(values)]
    return _grid(4, 15, placed)


def _intro(record: Record) -> list[str]:
    year = record["year"]
    return [
        f"本报告依据《中华人民共和国政府信息公开条例》编制。本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。",
    ]


def report_document(record: Record) -> Document:
    """The full report as a Document, tables as grids with merged cells."""
    year = record["year"]
    blocks = [Block("heading", text=record["title"], level=1)]
    blocks += [Block("paragraph", text=t) for t in _intro(record)]
    prose = {
        0: f"{year}年，{record['agency']}认真贯彻《条例》，全年主动公开政府信息，依法办理依申请公开。",
        4: "一是公开的及时性有待提高。下一步将加强培训，完善制度。",
        5: "无。",
    }
    tables = {
        1: proactive_table(record) if record.get("proactive") else None,
        2: applications_table(record) if record.get("applications") else None,
        3: review_table(record) if record.get("review_litigation") else None,
    }
    for i, heading in enumerate(SECTION_TITLES):
        blocks.append(Block("heading", text=heading, level=2))
        if i in prose:
            blocks.append(Block("paragraph", text=prose[i]))
        table = tables.get(i)
        if table is not None:
            blocks.append(Block("table", table=table))
    blocks.append(Block("paragraph", text=record["agency"]))
    if record.get("published"):
        y, m, d = record["published"].split("-")
        blocks.append(Block("paragraph", text=f"{int(y)}年{int(m)}月{int(d)}日"))
    return Document(blocks=blocks, title=None, published=None, source_format="synth")


# --------------------------------------------------------------------------- text
def _cells_lines(table: Table) -> list[str]:
    """One cell per line (tab-prefixed), rows separated by a blank line, as Word text export
    gives: a horizontally merged cell once, a vertically merged one as an empty cell."""
    lines: list[str] = []
    for r, row in enumerate(table.rows):
        for cell in row:
            if cell.merged and cell.origin is not None:
                if cell.origin[0] != r:
                    lines.append("\t")  # continuation of a cell merged from a row above
            else:
                lines.append("\t" + cell.text)
        lines.append("")
    return lines


def _tab_lines(table: Table) -> list[str]:
    return ["\t".join(row) for row in table.texts(blank_merged=True)]


def _pipe_lines(table: Table) -> list[str]:
    out = []
    for row in table.texts(blank_merged=True):
        while len(row) > 1 and row[-1] == "" and row[-2] == "":
            row = row[:-1]
        out.append(" | ".join(row) + " |")
    return out


def _wrap(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def _pdf_lines(table: Table) -> list[str]:
    """PDF text: a row is one line; long labels wrap onto extra lines (numbers on the last);
    a label spanning many rows is written one character per line before its rows."""
    out: list[str] = []
    for r, row in enumerate(table.rows):
        labels: list[str] = []
        values: list[str] = []
        for cell in row:
            if cell.merged or not cell.text:
                continue
            if cell.rowspan >= 3 and len(cell.text) <= 12:
                out.extend(cell.text)  # vertical group label, one char per line
                continue
            if cell.rowspan >= 3:
                labels.append(cell.text)
                continue
            (values if _is_number_text(cell.text) else labels).append(cell.text)
        label_lines = _wrap(" ".join(labels), 14) if labels else []
        if values:
            if label_lines and r % 2:  # the numbers on a line of their own
                out.extend(label_lines)
                out.append(" ".join(values))
            elif label_lines:
                out.extend(label_lines[:-1])
                out.append(label_lines[-1] + " " + " ".join(values))
            else:
                out.append(" ".join(values))
        else:
            out.extend(label_lines)
        if r and r % 9 == 0:  # page-number lines, in both common styles
            out.append(f"- {r // 9 + 1} -" if r % 2 else f"-{r // 9 + 1}-")
    return out


def _is_number_text(text: str) -> bool:
    from harvester.parser.values import is_value

    return is_value(text)


_RENDER = {"cells": _cells_lines, "tabs": _tab_lines, "pipes": _pipe_lines, "pdf": _pdf_lines}


def report_text(record: Record, shape: str) -> str:
    """The report as plain text with its tables in one of TEXT_SHAPES."""
    render = _RENDER[shape]
    lines: list[str] = []
    for block in report_document(record).blocks:
        if block.kind == "table" and block.table is not None:
            lines.extend(render(block.table))
        else:
            lines.append(block.text)
    return "\n".join(lines) + "\n"


def one_line_text(text: str) -> str:
    """A report text as web archivers and browser copy-paste save it: the whole body on one
    line, every line break and run of white space one space."""
    return " ".join(text.split()) + "\n"


def run_together_text(record: Record) -> str:
    """The report as tab text whose section 三 rows lost their separators: each row's label
    followed directly by its seven cells as one digit string (a flattened web table)."""
    out: list[str] = []
    for line in report_text(record, "tabs").split("\n"):
        fields = line.split("\t")
        if (
            len(fields) >= 8
            and all(f.strip().isdigit() for f in fields[-7:])
            and not fields[-8].strip().isdigit()
        ):
            label = " ".join(f for f in fields[:-7] if f.strip())
            line = label + "".join(f.strip() for f in fields[-7:])
        out.append(line)
    return "\n".join(out)

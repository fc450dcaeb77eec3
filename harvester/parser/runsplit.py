"""Run-together cells: a section 三 row whose seven cells were flattened into one digit
string (`530010357` = 53 | 0 | 0 | 1 | 0 | 3 | 57).

Every split of the string into seven counts without leading zeros whose last cell (总计)
equals the sum of the six applicant columns is a candidate. Rows with more than one
candidate are resolved together against the table's other identities (the outcome rows sum
to （七）总计 per column; 一 + 二 = （七） + 四 per column): a row takes a split only if every
combination of candidates that satisfies every identity gives it that split. Otherwise its
cells stay null and a warning lists the candidates — the parser never guesses.
"""

from __future__ import annotations

import itertools
import re

from harvester.parser.checks import Rows, t3_score

WIDTH = 7
MIN_DIGITS = WIDTH
MAX_DIGITS = 40
MAX_CANDIDATES = 64
MAX_COMBINATIONS = 20000
_DIGITS = re.compile(r"^[0-9]+$")


def is_run(texts: list[str]) -> bool:
    """A row read as one bare digit string at least as long as its cell count."""
    return (
        len(texts) == 1
        and bool(_DIGITS.match(texts[0]))
        and MIN_DIGITS <= len(texts[0]) <= MAX_DIGITS
    )


def splits(digits: str, width: int = WIDTH) -> list[list[int]]:
    """Every split of `digits` into `width` counts (no leading zeros) whose last equals the
    sum of the others; at most MAX_CANDIDATES + 1 are returned."""
    out: list[list[int]] = []

    def rec(pos: int, parts: list[int]) -> None:
        if len(out) > MAX_CANDIDATES:
            return
        left = width - len(parts)
        if left == 1:
            rest = digits[pos:]
            if rest and (rest == "0" or rest[0] != "0") and int(rest) == sum(parts):
                out.append(parts + [int(rest)])
            return
        remaining = len(digits) - pos
        max_len = remaining - (left - 1)
        for n in range(1, max_len + 1):
            piece = digits[pos : pos + n]
            if n > 1 and piece[0] == "0":
                break
            rec(pos + n, parts + [int(piece)])

    rec(0, [])
    return out


def resolve(raw: Rows, runs: dict[str, str]) -> tuple[Rows, list[str]]:
    """Rows of `raw` whose keys are in `runs` replaced by their split (or nulls); warnings."""
    rows = {k: list(v) for k, v in raw.items()}
    warnings: list[str] = []
    options: dict[str, list[list[int]]] = {}
    for key, digits in runs.items():
        cands = splits(digits)
        rows[key] = [None] * WIDTH
        if not cands:
            warnings.append(
                f"section 三 row {key}: run-together cells {digits!r} have no split whose total "
                "equals the sum of its applicant columns; cells left null"
            )
        elif len(cands) > MAX_CANDIDATES:
            warnings.append(
                f"section 三 row {key}: run-together cells {digits!r} have too many splits to "
                "decide; cells left null"
            )
        else:
            options[key] = cands
    keys = [k for k, c in options.items() if len(c) == 1]
    for k in keys:
        rows[k] = list(options[k][0])
    open_keys = [k for k, c in options.items() if len(c) > 1]
    chosen: dict[str, list[list[int]]] = {k: [] for k in open_keys}
    n_comb = 1
    for k in open_keys:
        n_comb *= len(options[k])
    if open_keys and n_comb <= MAX_COMBINATIONS:
        for combo in itertools.product(*(options[k] for k in open_keys)):
            trial: Rows = {k: v for k, v in rows.items() if len(v) == WIDTH}
            for k, v in zip(open_keys, combo, strict=True):
                trial[k] = list(v)
            if t3_score(trial) == 0:
                for k, v in zip(open_keys, combo, strict=True):
                    if v not in chosen[k]:
                        chosen[k].append(list(v))
    for k in open_keys:
        good = chosen[k]
        if len(good) == 1:
            rows[k] = list(good[0])
            keys.append(k)
        else:
            shown = good if good else options[k]
            warnings.append(
                f"section 三 row {k}: run-together cells {runs[k]!r} split ambiguously; "
                f"candidates {shown[:8]}{' …' if len(shown) > 8 else ''}; cells left null"
            )
    for k in keys:
        warnings.append(
            f"section 三 row {k}: run-together cells {runs[k]!r} split by the table's arithmetic as {rows[k]}"
        )
    return rows, warnings

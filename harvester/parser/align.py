"""Aligning section 三 rows that carry too few or too many numbers.

Merged cells shift columns when a table is flattened to text: a row may come with 6 or 8
numbers. Every placement of the missing (or extra) cells is a candidate; a missing cell is
inferred from the row's own total; the combination that breaks the fewest checks wins and
a warning says what was inferred.
"""

from __future__ import annotations

import itertools

from harvester.parser.checks import Rows, t3_score
from harvester.parser.template import APPLICANT_COLUMNS
from harvester.parser.types import Cell

WIDTH = len(APPLICANT_COLUMNS)
MAX_COMBINATIONS = 1500


def _num(v: Cell) -> bool:
    return isinstance(v, int | float)


def candidates(values: list[Cell]) -> list[tuple[list[Cell], str]]:
    """Possible 7-cell readings of a row, each with a note on what was assumed."""
    n = len(values)
    if n == WIDTH:
        return [(list(values), "")]
    if n == 0:
        return [([None] * WIDTH, "no numbers; all cells left null")]
    out: list[tuple[list[Cell], str]] = []
    if n < WIDTH and WIDTH - n <= 2:
        for gaps in itertools.combinations(range(WIDTH), WIDTH - n):
            it = iter(values)
            row = [None if i in gaps else next(it) for i in range(WIDTH)]
            note = "missing cell at " + ", ".join(APPLICANT_COLUMNS[g] for g in gaps)
            if len(gaps) == 1:
                g = gaps[0]
                others = [v for i, v in enumerate(row) if i != g]
                if all(_num(v) for v in others):
                    value = sum(others[:6]) if g == 6 else others[-1] - sum(others[:-1])
                    if value >= 0:
                        row[g] = value
                        note += f", inferred {value} from the row total"
            out.append((row, note))
    elif n > WIDTH and n - WIDTH <= 2:
        for drop in itertools.combinations(range(n), n - WIDTH):
            row = [v for i, v in enumerate(values) if i not in drop]
            out.append((row, "dropped extra cell(s) " + ", ".join(str(values[d]) for d in drop)))
    else:
        # No placement can be justified: the cells stay null (never a guessed column).
        shown = ", ".join(str(v) for v in values)
        out.append(
            ([None] * WIDTH, f"{n} numbers ({shown}) cannot be placed in 7 cells; left null")
        )
    groups: dict[tuple[Cell, ...], list[str]] = {}
    for row, note in out:
        groups.setdefault(tuple(row), []).append(note)
    unique = []
    for key, notes in groups.items():
        note = (
            notes[0]
            if len(notes) == 1
            else f"{notes[0]}; {len(notes)} placements give this same row"
        )
        unique.append((list(key), note))
    return unique


def _nulls(rows: Rows) -> int:
    return sum(1 for r in rows.values() for v in r if v is None)


def align(rows: Rows) -> tuple[Rows, list[str]]:
    """Rows of exactly 7 cells, and warnings for every row that was not."""
    bad = [k for k, v in rows.items() if len(v) != WIDTH]
    fixed: Rows = {k: list(v) for k, v in rows.items()}
    if not bad:
        return fixed, []
    options = {k: candidates(rows[k]) for k in bad}
    total = 1
    for k in bad:
        total *= len(options[k])
    choice: dict[str, int] = {k: 0 for k in bad}

    def assign(sel: dict[str, int]) -> Rows:
        out = dict(fixed)
        for k in bad:
            out[k] = options[k][sel[k]][0]
        return out

    def cost(sel: dict[str, int]) -> tuple[int, int]:
        r = assign(sel)
        return (t3_score(r), _nulls(r))

    ties = 1  # readings as good as the chosen one
    searched = "all combinations"
    if total <= MAX_COMBINATIONS:
        best = None
        for combo in itertools.product(*(range(len(options[k])) for k in bad)):
            sel = dict(zip(bad, combo, strict=True))
            c = cost(sel)
            if best is None or c < best[0]:
                best, ties = (c, sel), 1
            elif c == best[0]:
                ties += 1
        assert best is not None
        choice = best[1]
    else:  # coordinate descent: improve one row at a time
        searched = "a greedy search (too many combinations to try all)"
        current = cost(choice)
        for _ in range(3):
            improved = False
            for k in bad:
                for i in range(len(options[k])):
                    trial = dict(choice, **{k: i})
                    c = cost(trial)
                    if c < current:
                        current, choice, improved = c, trial, True
            if not improved:
                break
    result = assign(choice)
    remaining = t3_score(result)
    warnings = []
    certainty = "all checks hold" if remaining == 0 else f"{remaining} check violation(s) remain"
    if ties > 1:
        certainty += f"; ambiguous: {ties} readings fit the totals equally well"
    for k in bad:
        row, note = options[k][choice[k]]
        warnings.append(
            f"section 三 row {k}: {len(rows[k])} cells {rows[k]} where 7 are expected; read as {row} "
            f"({note}; chosen among {len(options[k])} placement(s) by the totals over {searched}, "
            f"{certainty})"
        )
    return result, warnings

"""Aligning section 三 rows that carry too few or too many numbers.

Merged cells shift columns when a table is flattened to text: a row may come with 6 or 8
numbers. Every placement of the missing (or extra) cells is a candidate; a missing cell is
inferred from the row's own total; the combination that breaks the fewest checks wins and
a warning says what was inferred.
"""

from __future__ import annotations

import itertools

from harvester.parser.checks import Rows, column_scorer, row_sum_broken
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
    # reading → [its first note, how many placements give it], in the order first found
    groups: dict[tuple[Cell, ...], list] = {}
    if n < WIDTH and WIDTH - n <= 2:
        values = list(values)
        inferred: tuple[Cell, Cell] | None = None  # (the total, a missing applicant column)
        if n == WIDTH - 1 and all(map(_num, values)):  # one gap: the row total tells its value
            inferred = (sum(values[:6]), values[-1] - sum(values[:-1]))
        for gaps in itertools.combinations(range(WIDTH), WIDTH - n):
            if len(gaps) == 1:
                g = gaps[0]
                row = values[:g] + [None] + values[g:]
                if inferred is not None:
                    value = inferred[0] if g == 6 else inferred[1]
                    if value >= 0:
                        row[g] = value
                        key = tuple(row)
                        if key in groups:
                            groups[key][1] += 1
                        else:
                            note = f"missing cell at {APPLICANT_COLUMNS[g]}, inferred {value} from the row total"
                            groups[key] = [note, 1]
                        continue
            else:
                it = iter(values)
                row = [None if i in gaps else next(it) for i in range(WIDTH)]
            key = tuple(row)
            if key in groups:
                groups[key][1] += 1
            else:
                groups[key] = [
                    "missing cell at " + ", ".join(APPLICANT_COLUMNS[g] for g in gaps),
                    1,
                ]
    elif n > WIDTH and n - WIDTH <= 2:
        for drop in itertools.combinations(range(n), n - WIDTH):
            if len(drop) == 1:  # one extra cell (most rows): the row without it, by slices
                key = (*values[: drop[0]], *values[drop[0] + 1 :])
            else:
                key = tuple(v for i, v in enumerate(values) if i not in drop)
            if key in groups:
                groups[key][1] += 1
            else:
                note = "dropped extra cell(s) " + ", ".join(str(values[d]) for d in drop)
                groups[key] = [note, 1]
    else:
        # No placement can be justified: the cells stay null (never a guessed column).
        shown = ", ".join(str(v) for v in values)
        groups[(None,) * WIDTH] = [
            f"{n} numbers ({shown}) cannot be placed in 7 cells; left null",
            1,
        ]
    return [
        (list(key), note if count == 1 else f"{note}; {count} placements give this same row")
        for key, (note, count) in groups.items()
    ]


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

    # t3_score and the null cells of an assignment: the rows that are not changed counted once,
    # each candidate row once, and only the column rules per assignment
    kept = [r for k, r in fixed.items() if k not in options]
    kept_broken = sum(map(row_sum_broken, kept))
    kept_nulls = sum(r.count(None) for r in kept)  # (cells are numbers or None: == is `is`)
    scores = {k: [(row_sum_broken(row), row.count(None)) for row, _ in options[k]] for k in bad}

    columns = column_scorer(fixed, options)

    def cost(sel: dict[str, int]) -> tuple[int, int]:
        broken, nulls = kept_broken, kept_nulls
        replaced = {}
        for k in bad:
            b, n = scores[k][sel[k]]
            broken += b
            nulls += n
            replaced[k] = options[k][sel[k]][0]
        return (columns(replaced) + broken, nulls)

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
        chosen, choice = best
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
        chosen = current
    result = assign(choice)
    # t3_score(result), already known: the chosen reading's cost counts the same violations
    remaining = chosen[0]
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

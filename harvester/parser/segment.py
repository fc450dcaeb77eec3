"""Section segmentation: headings matched by keywords and order, not by their numbering.

Real reports corrupt the numbering (`1、 总体情况`, `—、总体情况`, `3、 收到…`), repeat
headings and reword them; a heading is a short free line (not a table cell) holding a
section's keywords, found after the previous section's heading. When a heading is missing
the section's table is found by its anchor labels instead.
"""

from __future__ import annotations

from harvester.parser.template import SECTION_KEYWORDS
from harvester.parser.tokens import Loose, Token, loose_tokens
from harvester.parser.walk import any_of

MAX_HEADING = 40
ANCHORS = {
    "two": (r"第二十条第",),
    "three": (r"申请人情况", r"本年新收"),
    "four": (r"^行政复议$",),
}


def _matches(token: Token, patterns: tuple[str, ...], *, heading: bool) -> bool:
    if token.kind != "text":
        return False
    c = token.key
    if heading and (token.cell or len(c) > MAX_HEADING):
        return False
    return any_of(patterns).search(c) is not None


def find_headings(tokens: list[Token], loose: Loose | None = None) -> dict[str, int]:
    """{section: index of its heading}; `loose`: loose_tokens(tokens), if already made."""
    heads: dict[str, int] = {}
    if loose is None:
        loose = loose_tokens(tokens)
    candidates = [  # short free text lines: their indices in `tokens`
        i
        for i, t in zip(loose.at, loose.tokens, strict=True)
        if t.kind == "text" and len(t.key) <= MAX_HEADING
    ]
    at = 0  # index into candidates
    for key, patterns in SECTION_KEYWORDS:
        rx = any_of(patterns)
        for n in range(at, len(candidates)):
            if rx.search(tokens[candidates[n]].key):
                heads[key] = candidates[n]
                at = n + 1
                break
    return heads


def section_ranges(
    tokens: list[Token], loose: Loose | None = None
) -> tuple[dict[str, tuple[int, int]], list[str]]:
    """(ranges of sections two, three and four as token index spans, warnings); `loose`:
    loose_tokens(tokens), if already made."""
    heads = find_headings(tokens, loose)
    warnings: list[str] = []
    starts = dict(heads)
    after = 0
    for key in ("two", "three", "four"):
        if key not in starts:
            anchor = next(
                (
                    i
                    for i in range(after, len(tokens))
                    if _matches(tokens[i], ANCHORS[key], heading=False)
                ),
                None,
            )
            if anchor is not None:
                starts[key] = anchor
                warnings.append(f"section {key}: heading not found; table located by its labels")
        if key in starts:
            after = starts[key] + 1
    ranges: dict[str, tuple[int, int]] = {}
    order = ["one", "two", "three", "four", "five", "six"]
    for key in ("two", "three", "four"):
        if key not in starts:
            continue
        start = starts[key]
        later = [
            starts[k] for k in order[order.index(key) + 1 :] if k in starts and starts[k] > start
        ]
        ranges[key] = (start, min(later) if later else len(tokens))
    return ranges, warnings

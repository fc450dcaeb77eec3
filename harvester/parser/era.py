"""Era detection from the labels on the page, never from the report year."""

from __future__ import annotations

from harvester.parser.template import ERA_CUES
from harvester.parser.tokens import Token


def _label_text(tokens: list[Token]) -> str:
    return "\n".join([t.key for t in tokens if t.kind == "text"])


def _score(text: str, era: str) -> int:
    return sum(1 for cue in ERA_CUES[era] if cue in text)


def era_scores(tokens: list[Token]) -> dict[str, int]:
    text = _label_text(tokens)
    return {era: _score(text, era) for era in ERA_CUES}


def detect_era(tokens: list[Token]) -> tuple[str | None, str]:
    """(era or None, the evidence in words). The legacy cues are counted only when the
    2019 and 2021 labels do not decide (their count is then part of the evidence)."""
    text = _label_text(tokens)
    s = {"2021": _score(text, "2021"), "2019": _score(text, "2019")}
    if s["2021"] > s["2019"] and s["2021"] >= 2:
        return "2021", f"{s['2021']} labels of the 2021 template"
    if s["2019"] > s["2021"] and s["2019"] >= 2:
        return "2019", f"{s['2019']} labels of the 2019 template"
    s["legacy"] = _score(text, "legacy")
    if s["legacy"] >= 1 and s["2019"] + s["2021"] == 0:
        return "legacy", f"{s['legacy']} labels of the pre-2019 (legacy) reports"
    return None, f"evidence too thin (2019: {s['2019']}, 2021: {s['2021']}, legacy: {s['legacy']})"

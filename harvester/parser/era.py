"""Era detection from the labels on the page, never from the report year."""

from __future__ import annotations

from harvester.parser.template import ERA_CUES
from harvester.parser.tokens import Token


def era_scores(tokens: list[Token]) -> dict[str, int]:
    text = "\n".join(t.key for t in tokens if t.kind == "text")
    return {era: sum(1 for cue in cues if cue in text) for era, cues in ERA_CUES.items()}


def detect_era(tokens: list[Token]) -> tuple[str | None, str]:
    """(era or None, the evidence in words)."""
    s = era_scores(tokens)
    if s["2021"] > s["2019"] and s["2021"] >= 2:
        return "2021", f"{s['2021']} labels of the 2021 template"
    if s["2019"] > s["2021"] and s["2019"] >= 2:
        return "2019", f"{s['2019']} labels of the 2019 template"
    if s["legacy"] >= 1 and s["2019"] + s["2021"] == 0:
        return "legacy", f"{s['legacy']} labels of the pre-2019 (legacy) reports"
    return None, f"evidence too thin (2019: {s['2019']}, 2021: {s['2021']}, legacy: {s['legacy']})"

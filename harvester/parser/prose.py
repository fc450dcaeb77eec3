"""Figures the prose states: "全年共收到政府信息公开申请3件", "本年新制发规范性文件6件",
"未发生政府信息公开行政复议".

Reports state their main figures twice, in prose and in the tables. The prose reader finds
the figures of a few well-known phrasings (applications received, carried over, handled,
disclosed; normative documents and rules issued; reviews and lawsuits; fees charged), each
with the sentence it was read from. It never changes a table value: for the 2019 and 2021
templates the figures feed the soft check `text_vs_table`; for legacy (pre-2019) reports,
which have no fixed tables, they are the only figures and are written into the record's
fields, marked in `from_prose`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harvester.parser.tokens import Loose, Token, loose_tokens
from harvester.parser.types import Number, ProseFigure

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
NUM = r"(?P<n>\d+|[零〇一二两三四五六七八九十]{1,3})"
UNIT = r"(?:件|个|份|宗|起|条|次|例)"
TOTAL = r"(?:共|共计|合计|总计|累计|总数|数量|总量|数)?(?:为|是|达)?(?:共|共计|合计)?"
STOP = r"(?=$|[。；;，,、（(：:])"  # the phrase ends a clause: nothing qualifies it further
_MAY_STATE = re.compile(r"[\d零〇一二两三四五六七八九十]|未|没有|无|不")  # a number, or none
SENTENCE_END = re.compile(r"[。；;！!？?\n]")
MAX_SHOWN = 120

# Virtual figures: compared with a sum of table cells, or with nothing.
LITIGATION = "review_litigation.litigation.total"
FEES = "fees_charged_yuan"
TABLE_SUMS: dict[str, tuple[str, ...]] = {
    LITIGATION: (
        "review_litigation.litigation_direct.total",
        "review_litigation.litigation_after_review.total",
    ),
    "applications.received_and_carried_over.total": (
        "applications.received.total",
        "applications.carried_over.total",
    ),
}


@dataclass(frozen=True)
class Phrase:
    """A phrasing that states one figure. It is tried only on a sentence holding one of its
    `anchors` (words its pattern needs) and, when given, one of its `context` words."""

    field: str
    pattern: re.Pattern[str]
    anchors: tuple[str, ...]
    context: tuple[str, ...] = ()
    zero: bool = False  # the phrase states that there were none


def _p(field: str, anchors: str, pattern: str, context: str = "", *, zero: bool = False) -> Phrase:
    """A phrase; `anchors` and `context` are plain words separated by | (looked for with
    `in`: a regular expression over Chinese text is many times slower)."""
    words = tuple(context.split("|")) if context else ()
    return Phrase(field, re.compile(pattern), tuple(anchors.split("|")), words, zero)


_APPLICATION = r"(?:政府信息公开|信息公开|依申请公开|公开)?(?:的)?申请"
_RECEIVE = r"(?:收到|受理|新收|接收|接到|登记)"
_HANDLE = r"(?:办结|答复|处理|办理)(?:完毕|完成|了)?"
_COUNT = TOTAL + NUM + UNIT
_FREE = r"[^。；;，,\d]"  # any character of the same clause but a digit

PHRASES: tuple[Phrase, ...] = (
    # applications (section 三)
    _p(
        "applications.received_and_carried_over.total",
        "含上年",
        _RECEIVE + _FREE + r"{0,14}?申请" + _COUNT + r"[（(]含上年(?:度)?(?:结转|转结)",
    ),
    _p(
        "applications.received.total",
        "收到|受理|新收|接收|接到|登记",
        _RECEIVE + _FREE + r"{0,14}?申请(?:公开)?(?:事项)?" + _COUNT + r"(?![（(]含上年)",
    ),
    _p(
        "applications.received.total",
        "未|没有",
        r"(?:未|没有)(?:收到|受理|接到|接收|发生)(?:过)?(?:任何)?"
        + _FREE
        + r"{0,14}?申请(?:事项|件)?"
        + STOP,
        zero=True,
    ),
    _p(
        "applications.carried_over.total",
        "上年",
        r"上年(?:度)?(?:结转|转结)(?:的)?(?:" + _APPLICATION + ")?" + _COUNT,
    ),
    _p(
        "applications.handled_total.total",
        "办结|答复|处理|办理",
        _HANDLE + r"(?:的)?(?:政府信息公开|依申请公开)?申请" + _COUNT,
    ),
    _p(
        "applications.handled_total.total",
        "办结",
        r"(?:已|共|全部|均已|按时)?办结" + _COUNT,
        "申请",
    ),
    _p(
        "applications.carried_forward.total",
        "下年|下一年",
        r"结转(?:至|到)?下(?:一)?年度?(?:继续)?(?:办理)?(?:的)?(?:申请)?" + _COUNT,
    ),
    _p(
        "applications.disclosed.total",
        "予以公开|同意公开",
        r"(?<![部分不])(?:予以|同意)公开" + _COUNT,
        "申请",
    ),
    _p("applications.partially_disclosed.total", "部分", r"部分(?:同意)?公开" + _COUNT, "申请"),
    # normative documents and rules (section 二)
    _p(
        "proactive.normative_documents.issued",
        "规范性文件",
        r"(?:制发|制定|出台|印发|制作|新制定|新制发|新制作)(?:了)?(?:行政)?规范性文件" + _COUNT,
    ),
    _p(
        "proactive.rules.issued",
        "规章",
        r"(?:制发|制定|出台|印发|制作)(?:了)?(?:政府)?规章" + _COUNT,
    ),
    # reviews and lawsuits (section 四)
    _p(
        "review_litigation.review.corrected",
        "纠正|纠错",
        r"行政复议(?:结果)?(?:被)?(?:纠正|纠错)(?:的)?" + _COUNT,
    ),
    _p("review_litigation.review.total", "行政复议", r"行政复议(?:案件|申请)?" + _COUNT),
    _p(LITIGATION, "行政诉讼", r"行政诉讼(?:案件)?" + _COUNT),
    # fees (legacy reports)
    _p(FEES, "元", r"(?:收取|收费)" + _FREE + r"{0,10}?(?P<n>\d+(?:\.\d+)?)元", "申请|公开"),
    _p(
        FEES,
        "费用",
        r"(?:未|没有|不|无)(?:收取|产生|发生)(?:过)?(?:任何)?" + _FREE + r"{0,12}?费用",
        "申请|公开",
        zero=True,
    ),
)
# Every anchor and context word: a sentence is searched for each once.
_WORDS = tuple(sorted({w for p in PHRASES for w in (*p.anchors, *p.context)}))
# The words a sentence needs for any phrase to be tried (most prose has none of them).
KEYWORDS = ("申请", "结转", "规范性文件", "规章", "复议", "诉讼", "费用")
# "未发生…行政复议、行政诉讼": zero of each named; never "未发生行政诉讼败诉" (the lookahead).
_ZERO_REVIEW = re.compile(
    r"(?:未|没有|无)(?:发生|收到|出现|产生|涉及|被提起|被申请)?(?:过)?(?:任何)?"
    r"(?P<what>[^。；;，,\d]{0,16}?行政(?:复议|诉讼)(?:[和、及或与]?(?:提起)?(?:行政)?(?:复议|诉讼))?)"
    r"(?:案件|案例|情况|事项|申请|的情况)?" + STOP
)


def _number(text: str) -> Number | None:
    if text[0].isdigit():
        return float(text) if "." in text else int(text)
    if text == "十":
        return 10
    if "十" in text:  # 十二, 二十, 二十三
        tens, _, ones = text.partition("十")
        t = _CN_DIGITS.get(tens, None) if tens else 1
        o = _CN_DIGITS.get(ones, None) if ones else 0
        return None if t is None or o is None else t * 10 + o
    if len(text) == 1:
        return _CN_DIGITS.get(text)
    return None


_ENDS = "。；;！!？?"  # SENTENCE_END but the line end


def _prose_text(loose: Loose) -> str:
    """The free text of the report (table cells left out), read as labels are, with every
    row end and sentence end made a line end."""
    text = "".join([t.key if t.kind == "text" else "\n" for t in loose.tokens])
    for end in _ENDS:  # str.replace per end: far faster than a regular expression split
        if end in text:
            text = text.replace(end, "\n")
    return text


def prose_sentences(tokens: list[Token]) -> list[str]:
    """The free text of the report (table cells left out) as sentences, read as labels
    are: white space removed, full-width digits and signs (and ，) made ASCII."""
    return [s for s in _prose_text(loose_tokens(tokens)).split("\n") if s]


def _keyword_sentences(text: str) -> list[str]:
    """The sentences of `text` (from _prose_text) that hold one of KEYWORDS, in text order:
    each keyword found with str.find, the sentence around it cut out once."""
    spans: set[tuple[int, int]] = set()
    for word in KEYWORDS:
        i = _find(text, word, 0)
        while i >= 0:
            end = text.find("\n", i)
            if end < 0:
                end = len(text)
            spans.add((text.rfind("\n", 0, i) + 1, end))
            i = _find(text, word, end)
    return [text[start:end] for start, end in sorted(spans)]


def _find(text: str, word: str, start: int) -> int:
    """text.find(word, start); a two-character word is found by its second character (on
    Chinese text str.find of one character is several times faster than of two)."""
    if len(word) != 2:
        return text.find(word, start)
    first, last = word
    j = text.find(last, start + 1)
    while j >= 0:
        if text[j - 1] == first:
            return j - 1
        j = text.find(last, j + 1)
    return -1


def _shown(sentence: str, start: int, end: int) -> str:
    if len(sentence) <= MAX_SHOWN:
        return sentence
    left = max(0, min(start - 40, len(sentence) - MAX_SHOWN))
    return (
        ("…" if left else "")
        + sentence[left : left + MAX_SHOWN]
        + ("…" if left + MAX_SHOWN < len(sentence) else "")
    )


Match = tuple[int, int, list[tuple[str, Number]]]  # start, end, the figures it states


def _matches(sentence: str) -> list[Match]:
    """Every phrase in the sentence, by priority: PHRASES in order, then the "none"
    statements of reviews and lawsuits (one phrase may state both)."""
    found: list[Match] = []
    present = {word for word in _WORDS if word in sentence}
    for phrase in PHRASES:
        if present.isdisjoint(phrase.anchors):
            continue
        if phrase.context and present.isdisjoint(phrase.context):
            continue
        for m in phrase.pattern.finditer(sentence):
            value = 0 if phrase.zero else _number(m.group("n"))
            if value is not None:
                found.append((m.start(), m.end(), [(phrase.field, value)]))
    for m in _ZERO_REVIEW.finditer(sentence) if "行政" in sentence else ():
        what = m.group("what")
        named = (("复议", "review_litigation.review.total"), ("诉讼", LITIGATION))
        found.append((m.start(), m.end(), [(field, 0) for word, field in named if word in what]))
    return found


def read_prose(tokens: list[Token], loose: Loose | None = None) -> list[ProseFigure]:
    """Every figure the prose states, in text order. A piece of text is read once: where
    two phrasings overlap, the first in priority wins. `loose`: loose_tokens(tokens), if
    already made."""
    out: list[ProseFigure] = []
    text = _prose_text(loose_tokens(tokens) if loose is None else loose)
    for sentence in _keyword_sentences(text):
        if not _MAY_STATE.search(sentence):
            continue
        kept: list[Match] = []
        for start, end, figures in _matches(sentence):
            if not any(start < e and s < end for s, e, _ in kept):
                kept.append((start, end, figures))
        for start, end, figures in sorted(kept, key=lambda k: k[0]):
            shown = _shown(sentence, start, end)
            out.extend({"field": f, "value": v, "sentence": shown} for f, v in figures)
    return out

"""Prose for generated reports: the sentences real reports use to state their figures.

`prose_summary` states a record's figures (optionally contradicting the tables, for the
`text_vs_table` check); `with_prose` puts it under the report's first heading;
`legacy_report_text` writes a pre-2019 report (2008 regulations, no fixed tables) whose
figures are stated only in prose.
"""

from __future__ import annotations

from harvester.parser.types import Record
from harvester.synth import SECTION_TITLES

# The fields prose_summary states, as the prose reader names them.
STATED = (
    "applications.received.total",
    "applications.carried_over.total",
    "applications.handled_total.total",
    "applications.carried_forward.total",
    "proactive.normative_documents.issued",
    "review_litigation.review.total",
    "review_litigation.litigation.total",
)


def stated_values(record: Record) -> dict[str, int]:
    """The record's value of every STATED field (lawsuits: both rows summed)."""
    apps = record["applications"]
    rl = record["review_litigation"]
    docs = record["proactive"]["normative_documents"]
    return {
        "applications.received.total": apps["received"]["total"],
        "applications.carried_over.total": apps["carried_over"]["total"],
        "applications.handled_total.total": apps["handled_total"]["total"],
        "applications.carried_forward.total": apps["carried_forward"]["total"],
        "proactive.normative_documents.issued": docs.get("issued", docs.get("made")),
        "review_litigation.review.total": rl["review"]["total"],
        "review_litigation.litigation.total": rl["litigation_direct"]["total"]
        + rl["litigation_after_review"]["total"],
    }


def prose_summary(record: Record, overrides: dict[str, int] | None = None) -> str:
    """Sentences stating the record's figures; `overrides` replaces some (a report whose
    prose contradicts its tables). Zero counts are stated the way reports say none."""
    v = stated_values(record) | (overrides or {})
    received = v["applications.received.total"]
    parts = [
        f"全年共收到政府信息公开申请{received}件" if received else "全年未收到政府信息公开申请",
        f"上年结转政府信息公开申请{v['applications.carried_over.total']}件",
        f"办结政府信息公开申请{v['applications.handled_total.total']}件",
        f"结转下年度继续办理{v['applications.carried_forward.total']}件",
    ]
    out = "，".join(parts) + "。"
    out += f"本年新制发规范性文件{v['proactive.normative_documents.issued']}件。"
    review = v["review_litigation.review.total"]
    lawsuits = v["review_litigation.litigation.total"]
    if review == 0 and lawsuits == 0:
        out += "全年未发生因政府信息公开引起的行政复议和行政诉讼。"
    else:
        out += f"因政府信息公开被申请行政复议{review}件，提起行政诉讼{lawsuits}件。"
    return out


def with_prose(text: str, prose: str) -> str:
    """The report text with `prose` as the first paragraph of section 一."""
    heading = SECTION_TITLES[0]
    assert heading in text, "the report has no section 一 heading"
    return text.replace(heading + "\n", heading + "\n" + prose + "\n", 1)


def legacy_report_text(
    agency: str, year: int, figures: dict[str, int], *, fees_yuan: float = 0
) -> str:
    """A pre-2019 report: its figures (keys as in the prose reader, e.g.
    applications.received.total) stated in the prose of the 2008 regulations' outline."""
    received = figures["applications.received.total"]
    disclosed = figures["applications.disclosed.total"]
    partial = figures["applications.partially_disclosed.total"]
    review = figures["review_litigation.review.total"]
    lawsuits = figures["review_litigation.litigation.total"]
    lines = [
        f"{agency}{year}年政府信息公开工作年度报告",
        "本报告根据《中华人民共和国政府信息公开条例》（国务院令第492号）要求编制。",
        "一、概述",
        f"{year}年，{agency}扎实推进政府信息公开工作。",
        "二、主动公开政府信息情况",
        f"{year}年共主动公开政府信息{received * 37 + 12}条。",
        "三、依申请公开政府信息情况",
        f"全年共受理政府信息公开申请{received}件，其中同意公开{disclosed}件，"
        f"部分同意公开{partial}件，其余为信息不存在或不属于本机关公开范围。",
        "四、政府信息公开的收费及减免情况",
        "本年度未收取任何政府信息公开费用。"
        if not fees_yuan
        else f"本年度依申请公开收取检索复制费用{fees_yuan}元。",
        "五、因政府信息公开申请行政复议、提起行政诉讼的情况",
        "本年度未发生因政府信息公开申请行政复议、提起行政诉讼的情况。"
        if review == 0 and lawsuits == 0
        else f"因政府信息公开申请行政复议{review}件，提起行政诉讼{lawsuits}件。",
        "六、存在的主要问题和改进措施",
        "工作人员业务水平有待提高。",
        agency,
        f"{year + 1}年3月20日",
    ]
    return "\n".join(lines) + "\n"

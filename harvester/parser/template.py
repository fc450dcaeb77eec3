"""The report template as data: sections, row labels, columns and keys for each era.

The parser walks these tables; nothing era-specific is hard-coded elsewhere. A row is
found by any of its label patterns (regular expressions searched in a cell's text after
whitespace is removed), in template order.
"""

from __future__ import annotations

from dataclasses import dataclass

APPLICANT_COLUMNS = (
    "natural_person",
    "commercial",
    "research",
    "nonprofit",
    "legal_service",
    "other_org",
    "total",
)
RESULT_COLUMNS = ("upheld", "corrected", "other", "pending", "total")
REVIEW_GROUPS = ("review", "litigation_direct", "litigation_after_review")


@dataclass(frozen=True)
class RowSpec:
    key: str
    patterns: tuple[str, ...]
    label: str  # the label as the template prints it (used by synth and messages)


@dataclass(frozen=True)
class ItemSpec:
    """A row of section 二: its key, label patterns and the columns it carries."""

    key: str
    patterns: tuple[str, ...]
    label: str
    columns: tuple[str, ...]
    item: str  # 第二十条第（…）项
    headers: tuple[str, ...]  # column headers after 信息内容, as printed


_T3_HEAD = (
    RowSpec("received", (r"本年新收",), "一、本年新收政府信息公开申请数量"),
    RowSpec(
        "carried_over", (r"上年(结转|转结)", r"上年度?结转"), "二、上年结转政府信息公开申请数量"
    ),
    RowSpec("disclosed", (r"予以公开",), "（一）予以公开"),
    RowSpec(
        "partially_disclosed",
        (r"部分公开",),
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    ),
    RowSpec("withheld_state_secret", (r"国家秘密",), "1.属于国家秘密"),
    RowSpec("withheld_prohibited_by_law", (r"禁止公开",), "2.其他法律行政法规禁止公开"),
    RowSpec("withheld_security_stability", (r"三安全", r"一稳定"), "3.危及“三安全一稳定”"),
    RowSpec("withheld_third_party", (r"第三方",), "4.保护第三方合法权益"),
    RowSpec("withheld_internal_affairs", (r"内部事务",), "5.属于三类内部事务信息"),
    RowSpec("withheld_process_info", (r"过程性",), "6.属于四类过程性信息"),
    RowSpec("withheld_enforcement_file", (r"执法案卷",), "7.属于行政执法案卷"),
    RowSpec("withheld_query_matter", (r"查询事项",), "8.属于行政查询事项"),
    RowSpec("unavailable_not_held", (r"不掌握",), "1.本机关不掌握相关政府信息"),
    RowSpec("unavailable_needs_creation", (r"现成信息", r"另行制作"), "2.没有现成信息需要另行制作"),
    RowSpec("unavailable_unclear", (r"仍不明确", r"补正后"), "3.补正后申请内容仍不明确"),
    RowSpec("rejected_petition", (r"信访", r"举报投诉"), "1.信访举报投诉类申请"),
    RowSpec("rejected_duplicate", (r"重复申请",), "2.重复申请"),
    RowSpec("rejected_publication", (r"出版物",), "3.要求提供公开出版物"),
    RowSpec("rejected_excessive", (r"大量反复", r"无正当理由大量"), "4.无正当理由大量反复申请"),
    RowSpec(
        "rejected_confirmation",
        (r"确认或重新出具", r"重新出具", r"确认"),
        "5.要求行政机关确认或重新出具已获取信息",
    ),
)
_T3_TAIL = (
    RowSpec(
        "handled_total", (r"^[（(]?七[）)]?、?总计$", r"[（(]七[）)]", r"^总计$"), "（七）总计"
    ),
    RowSpec(
        "carried_forward", (r"下年度?(继续|办理)", r"(结转|转结)下年"), "四、结转下年度继续办理"
    ),
)
T3_ROWS: dict[str, tuple[RowSpec, ...]] = {
    "2019": _T3_HEAD + (RowSpec("other", (r"其他处理",), "（六）其他处理"),) + _T3_TAIL,
    "2021": _T3_HEAD
    + (
        RowSpec(
            "other_no_correction",
            (r"不补正", r"逾期不"),
            "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        ),
        RowSpec(
            "other_unpaid_fee",
            (r"缴纳费用", r"收费通知"),
            "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        ),
        RowSpec("other_misc", (r"^3?[.．、]?其他$", r"^3[.．、]其他"), "3.其他"),
    )
    + _T3_TAIL,
}

# Group labels of section 三 (no numbers of their own), for renderers.
T3_GROUPS = {
    "三、本年度办理结果": ("disclosed", "handled_total"),
    "（三）不予公开": ("withheld_state_secret", "withheld_query_matter"),
    "（四）无法提供": ("unavailable_not_held", "unavailable_unclear"),
    "（五）不予处理": ("rejected_petition", "rejected_confirmation"),
    "（六）其他处理": ("other_no_correction", "other_misc"),
}

_I1 = "第二十条第（一）项"
_I5 = "第二十条第（五）项"
_I6 = "第二十条第（六）项"
_I8 = "第二十条第（八）项"
_I9 = "第二十条第（九）项"
_H1_2019 = ("本年新制作数量", "本年新公开数量", "对外公开总数量")
_H5_2019 = ("上一年项目数量", "本年增/减", "处理决定数量")
_C1_2019 = ("made", "published", "total_published")
_C5_2019 = ("previous_items", "change", "decisions")
_C1_2021 = ("issued", "repealed", "in_force")
_H1_2021 = ("本年制发件数", "本年废止件数", "现行有效件数")

T2_ITEMS: dict[str, tuple[ItemSpec, ...]] = {
    "2019": (
        ItemSpec("rules", (r"^规章$", r"规章"), "规章", _C1_2019, _I1, _H1_2019),
        ItemSpec("normative_documents", (r"规范性文件",), "规范性文件", _C1_2019, _I1, _H1_2019),
        ItemSpec("licensing", (r"行政许可",), "行政许可", _C5_2019, _I5, _H5_2019),
        ItemSpec(
            "other_services",
            (r"对外管理服务", r"管理服务事项"),
            "其他对外管理服务事项",
            _C5_2019,
            _I5,
            _H5_2019,
        ),
        ItemSpec("penalties", (r"行政处罚",), "行政处罚", _C5_2019, _I6, _H5_2019),
        ItemSpec("enforcement", (r"行政强制",), "行政强制", _C5_2019, _I6, _H5_2019),
        ItemSpec(
            "fees",
            (r"事业性收费",),
            "行政事业性收费",
            ("previous_items", "change"),
            _I8,
            _H5_2019[:2],
        ),
        ItemSpec(
            "procurement",
            (r"集中采购",),
            "政府集中采购",
            ("projects", "amount"),
            _I9,
            ("采购项目数量", "采购总金额"),
        ),
    ),
    "2021": (
        ItemSpec("rules", (r"^规章$", r"规章"), "规章", _C1_2021, _I1, _H1_2021),
        ItemSpec(
            "normative_documents", (r"规范性文件",), "行政规范性文件", _C1_2021, _I1, _H1_2021
        ),
        ItemSpec(
            "licensing", (r"行政许可",), "行政许可", ("decisions",), _I5, ("本年处理决定数量",)
        ),
        ItemSpec(
            "penalties", (r"行政处罚",), "行政处罚", ("decisions",), _I6, ("本年处理决定数量",)
        ),
        ItemSpec(
            "enforcement", (r"行政强制",), "行政强制", ("decisions",), _I6, ("本年处理决定数量",)
        ),
        ItemSpec(
            "fees",
            (r"事业性收费",),
            "行政事业性收费",
            ("amount_10k_yuan",),
            _I8,
            ("本年收费金额（单位：万元）",),
        ),
    ),
}

# Column headers of section 四, as printed, and header words that are never values.
T4_HEADERS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
T4_HEADER_WORDS = ("行政复议", "行政诉讼", "维持", "纠正", "其他结果", "审结", "总计", "起诉")

# Era evidence: labels that only one template prints.
ERA_CUES: dict[str, tuple[str, ...]] = {
    "2021": (
        "本年制发件数",
        "本年废止件数",
        "现行有效件数",
        "逾期不补正",
        "收费通知",
        "本年收费金额",
    ),
    "2019": (
        "本年新制作数量",
        "本年新公开数量",
        "对外公开总数量",
        "政府集中采购",
        "采购总金额",
        "上一年项目数量",
    ),
    "legacy": ("收费及减免", "同意公开", "统计指标", "国务院令第492号", "第492号", "不同意公开"),
}

# Section headings: keywords, in document order (一 … 六).
SECTION_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("one", (r"总体情况",)),
    ("two", (r"主动公开政府信息(的)?情况", r"主动公开政府信息$")),
    ("three", (r"收到和处理政府信息公开申请", r"处理政府信息公开申请(的)?情况")),
    ("four", (r"行政复议.{0,3}行政诉讼", r"复议.{0,4}诉讼(的)?情况")),
    ("five", (r"存在的?主要问题", r"主要问题及改进")),
    ("six", (r"其他需要报告",)),
)

"""The registry of county-level portals: seeding from the packaged registry.csv and
resolving what a user types (寿县, 寿, 340422, 朝阳区 --province 北京) to portal rows.

The packaged ``harvester/data/registry.csv`` is built by ``tools/build_registry.py`` (see
docs/registry.md). Seeding only inserts rows that are missing; it never changes a row, so
corrections made by users (``source == "user"``) and by crawls survive every re-seed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from importlib import resources
from typing import TypedDict

from sqlalchemy import insert, literal, or_, select
from sqlalchemy.orm import Session

from harvester.proxies import mask_proxy
from harvester.storage.models import PORTAL_FAMILIES, Portal

REGISTRY_COLUMNS = (
    "adcode",
    "province",
    "prefecture",
    "county",
    "home_url",
    "family",
    "column_urls",
    "encoding",
    "needs_browser",
    "enabled",
    "notes",
    "source",
)

ADCODE_RE = re.compile(r"^\d{6}$")

# Ethnic groups named in autonomous divisions (longest first so 土家 wins over 土).
_ETHNIC_NAMES = (
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 "
    "高山 拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 "
    "普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 "
    "珞巴 基诺 各"
)
_ETHNIC = sorted(_ETHNIC_NAMES.split(), key=len, reverse=True)
_COUNTY_SUFFIXES = ("自治县", "自治旗", "林区", "特区", "新区", "县", "区", "市", "旗")
_PREFECTURE_SUFFIXES = ("自治州", "地区", "盟", "市")
_PROVINCE_SUFFIXES = ("特别行政区", "自治区", "省", "市")


def _strip_ethnic(stem: str) -> str:
    """Drop trailing ethnic group names: 镇宁布依族苗族 → 镇宁, 木垒哈萨克 → 木垒."""
    changed = True
    while changed:
        changed = False
        for group in _ETHNIC:
            for token in (group + "族", group):
                if stem.endswith(token) and len(stem) - len(token) >= 2:
                    stem = stem[: -len(token)]
                    changed = True
                    break
            if changed:
                break
    return stem


def _short(name: str, suffixes: tuple[str, ...]) -> str:
    name = name.strip()
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            return _strip_ethnic(stem) if suffix.startswith("自治") else stem
    return name


def county_short(name: str) -> str:
    """寿县 → 寿, 朝阳区 → 朝阳, 长阳土家族自治县 → 长阳, 鄂温克族自治旗 → 鄂温克族."""
    return _short(name, _COUNTY_SUFFIXES)


def prefecture_short(name: str) -> str:
    """淮南市 → 淮南, 恩施土家族苗族自治州 → 恩施, 阿里地区 → 阿里, 阿拉善盟 → 阿拉善."""
    return _short(name, _PREFECTURE_SUFFIXES)


def province_short(name: str) -> str:
    """安徽省 → 安徽, 北京市 → 北京, 广西壮族自治区 → 广西, 内蒙古自治区 → 内蒙古."""
    short = _short(name, _PROVINCE_SUFFIXES)
    return _strip_ethnic(short) if name.endswith("自治区") else short


def same_province(given: str, name: str) -> bool:
    """Whether the user's province (short or full form) names `name`."""
    return given.strip() == name or province_short(given) == province_short(name)


def same_prefecture(given: str, name: str | None) -> bool:
    """Whether the user's prefecture (short or full form) names `name`."""
    if not name:
        return False
    return given.strip() == name or prefecture_short(given) == prefecture_short(name)


# --- the packaged registry ----------------------------------------------------------------


class Place(TypedDict):
    """Where a portal is: its division code and names."""

    adcode: str | None
    province: str
    prefecture: str | None
    county: str


class PortalSettings(Place):
    """A portal's registry settings, as registry.csv and the portal table hold them."""

    home_url: str | None
    family: str | None
    column_urls: list[str]
    encoding: str | None
    needs_browser: bool
    enabled: bool
    notes: str
    source: str
    url_source: str | None


class RegistryRow(PortalSettings):
    """A row of registry.csv, typed as the portal table takes it."""


class PortalCheck(TypedDict):
    """The last reachability check of a portal (`harvester portals check`)."""

    result: str | None
    detail: str | None
    checked_at: datetime | None
    final_url: str | None


class PortalData(PortalSettings):
    """A portal row as plain data (for --json and for callers that outlive the session)."""

    id: int
    allowed_hosts: list[str]
    url_verified_at: datetime | None
    check: PortalCheck | None
    proxy: str | None
    updated_at: datetime | None


def registry_rows(text: str | None = None) -> list[RegistryRow]:
    """The rows of registry.csv (the packaged one unless `text` is given), typed for Portal."""
    if text is None:
        text = resources.files("harvester").joinpath("data/registry.csv").read_text("utf-8")
    rows = []
    for raw in csv.DictReader(io.StringIO(text)):
        missing = [c for c in REGISTRY_COLUMNS if c not in raw]
        if missing:
            raise ValueError(f"registry.csv lacks columns {missing}")
        rows.append(_typed(raw))
    return rows


def _flag(value: str, default: bool) -> bool:
    value = (value or "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "y"):
        return True
    if value in ("0", "false", "no", "n"):
        return False
    raise ValueError(f"not a boolean in registry.csv: {value!r}")


def _typed(raw: dict[str, str]) -> RegistryRow:
    family = (raw["family"] or "").strip() or None
    if family is not None and family not in PORTAL_FAMILIES:
        raise ValueError(f"unknown family {family!r} in registry.csv ({raw['county']})")
    adcode = (raw["adcode"] or "").strip() or None
    if adcode is not None and not ADCODE_RE.match(adcode):
        raise ValueError(f"bad adcode {adcode!r} in registry.csv ({raw['county']})")
    return {
        "adcode": adcode,
        "province": raw["province"].strip(),
        "prefecture": (raw["prefecture"] or "").strip() or None,
        "county": raw["county"].strip(),
        "home_url": (raw["home_url"] or "").strip() or None,
        "family": family,
        "column_urls": (raw["column_urls"] or "").split(),
        "encoding": (raw["encoding"] or "").strip() or None,
        "needs_browser": _flag(raw["needs_browser"], False),
        "enabled": _flag(raw["enabled"], True),
        "notes": (raw["notes"] or "").strip(),
        "source": "seed",
        "url_source": _url_source(raw),
    }


def _url_source(raw: dict[str, str]) -> str | None:
    """Where a seeded home URL came from: registry.csv and the source column it names."""
    if not (raw["home_url"] or "").strip():
        return None
    origin = (raw["source"] or "").strip()
    return f"registry.csv: {origin}"[:64] if origin else "registry.csv"


def seed_registry(session: Session, rows: Iterable[RegistryRow] | None = None) -> int:
    """Insert the registry rows that are not in the database yet; return how many.

    A row is present when a portal has its adcode or, failing that, the same province,
    prefecture and county. Existing rows are never changed (whoever edited them). The
    caller commits.
    """
    wanted = registry_rows() if rows is None else list(rows)
    adcodes: set[str] = set()
    places: set[tuple[str, str, str]] = set()
    for adcode, province, prefecture, county in session.execute(
        select(Portal.adcode, Portal.province, Portal.prefecture, Portal.county)
    ):
        if adcode:
            adcodes.add(adcode)
        places.add((province, prefecture or "", county))
    new: list[RegistryRow] = []
    for row in wanted:
        place = (row["province"], row["prefecture"] or "", row["county"])
        if (row["adcode"] and row["adcode"] in adcodes) or place in places:
            continue
        if row["adcode"]:
            adcodes.add(row["adcode"])
        places.add(place)
        new.append(row)
    if new:
        session.execute(insert(Portal), new)
        session.flush()
    return len(new)


def ensure_seeded(session: Session) -> int:
    """Seed the registry when the portal table is empty; return rows added."""
    if session.scalar(select(Portal.id).limit(1)) is not None:
        return 0
    return seed_registry(session)


# --- resolving names ----------------------------------------------------------------------


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _within(
    portals: Iterable[Portal], province: str | None, prefecture: str | None
) -> Iterator[Portal]:
    for portal in portals:
        if province and not same_province(province, portal.province):
            continue
        if prefecture and not same_prefecture(prefecture, portal.prefecture):
            continue
        yield portal


def resolve(
    session: Session, name: str, *, province: str | None = None, prefecture: str | None = None
) -> list[Portal]:
    """The portals `name` may mean, narrowed by province/prefecture (full or short forms).

    `name` is a 6-digit adcode, an exact county-level name (寿县, 朝阳区), a name without
    its 县/区/市/旗 or 自治县 suffix (寿, 长阳), or a county-level name preceded by its
    province and/or prefecture (安徽省淮南市寿县, 北京朝阳区). The first kind that matches
    wins, so an exact name beats a shortened one.
    Several results mean the name is ambiguous; none means it is unknown.
    """
    name = name.strip()
    if not name:
        return []
    order = (Portal.province, Portal.prefecture, Portal.county, Portal.id)
    if ADCODE_RE.match(name):
        found = session.scalars(select(Portal).where(Portal.adcode == name).order_by(*order))
        return list(_within(found, province, prefecture))
    exact = list(
        _within(
            session.scalars(select(Portal).where(Portal.county == name).order_by(*order)),
            province,
            prefecture,
        )
    )
    if exact:
        return exact
    short = county_short(name)
    query = select(Portal).where(
        or_(Portal.county.like(_escape_like(short) + "%", escape="\\"), Portal.county == short)
    )
    candidates = session.scalars(query.order_by(*order))
    found = [
        p for p in _within(candidates, province, prefecture) if short in _county_keys(p.county)
    ]
    if found:
        return found
    # A qualified name: 安徽省淮南市寿县, 淮南寿县, 北京朝阳区, 长春市朝阳区.
    tails = select(Portal).where(literal(name).like(literal("%").concat(Portal.county)))
    return [
        p
        for p in _within(session.scalars(tails.order_by(*order)), province, prefecture)
        if len(name) > len(p.county) and _qualifies(name[: -len(p.county)], p)
    ]


def _qualifies(prefix: str, portal: Portal) -> bool:
    """Whether `prefix` is the portal's province and/or prefecture, in full or short form."""
    for cut in range(len(prefix) + 1):
        head, tail = prefix[:cut], prefix[cut:]
        if head and not same_province(head, portal.province):
            continue
        if tail and not same_prefecture(tail, portal.prefecture):
            continue
        return True
    return False


def _county_keys(county: str) -> set[str]:
    """The short forms a county-level name answers to (鄂温克族自治旗: 鄂温克族, 鄂温克)."""
    short = county_short(county)
    return {short, short.removesuffix("族")} if len(short) > 2 else {short}


def portal_place(portal: Portal) -> Place:
    return {
        "adcode": portal.adcode,
        "province": portal.province,
        "prefecture": portal.prefecture,
        "county": portal.county,
    }


def portal_dict(portal: Portal) -> PortalData:
    """A portal as plain data (for --json and for callers that outlive the session)."""
    return {
        "id": portal.id,
        **portal_place(portal),
        "home_url": portal.home_url,
        "family": portal.family,
        "column_urls": list(portal.column_urls or []),
        "encoding": portal.encoding,
        "needs_browser": bool(portal.needs_browser),
        "enabled": bool(portal.enabled),
        "notes": portal.notes or "",
        "allowed_hosts": list(portal.allowed_hosts or []),
        "source": portal.source,
        "url_source": portal.url_source,
        "url_verified_at": portal.url_verified_at,
        "check": {
            "result": portal.check_result,
            "detail": portal.check_detail,
            "checked_at": portal.checked_at,
            "final_url": portal.check_final_url,
        }
        if portal.checked_at
        else None,
        "proxy": mask_proxy(portal.proxy),
        "updated_at": portal.updated_at,
    }


# --- bodies outside the county registry ---------------------------------------------------


def place_of(
    session: Session, name: str, province: str | None = None, prefecture: str | None = None
) -> tuple[str, str | None]:
    """(province, prefecture) of a body outside the registry (合肥高新区, 某经济开发区), in
    the registry's spelling: the given ones completed, else the prefecture its name starts
    with (合肥高新区 → 安徽省 合肥市); an unknown place is ("", None)."""
    places = set(session.execute(select(Portal.province, Portal.prefecture).distinct()).tuples())
    if prefecture:
        found = [
            (pv, pf)
            for pv, pf in places
            if same_prefecture(prefecture, pf) and (not province or same_province(province, pv))
        ]
        if found:
            return sorted(found)[0]
    if province:
        provinces = sorted({pv for pv, _pf in places if same_province(province, pv)})
        return (provinces[0] if provinces else province.strip()), prefecture or None
    best: tuple[int, tuple[str, str | None]] | None = None
    for pv, pf in places:
        if not pf:
            continue
        for form in (pf, prefecture_short(pf)):
            if len(form) >= 2 and name.startswith(form) and (best is None or len(form) > best[0]):
                best = (len(form), (pv, pf))
    return best[1] if best else ("", prefecture or None)


def add_outside_body(
    session: Session,
    name: str,
    url: str,
    *,
    province: str | None = None,
    prefecture: str | None = None,
    adcode: str | None = None,
) -> Portal:
    """A body the county registry lacks (开发区, 高新区, 管委会, a new division) as a user
    portal; its start URL may be any page of its site (a 政务公开 hub as well as a home)."""
    pv, pf = place_of(session, name.strip(), province, prefecture)
    portal = Portal(
        province=pv,
        prefecture=pf,
        county=name.strip(),
        adcode=adcode,
        home_url=url,
        source="user",
        notes="added by `harvester scrape NAME --url`: a body outside the county registry",
    )
    session.add(portal)
    session.flush()
    return portal


def portals_matching(
    session: Session,
    province: str | None,
    only: tuple[str, ...] | list[str],
    include_disabled: bool = False,
) -> list[Portal]:
    """The registry's portals with a URL, of `province` (if given) and among the `only`
    names or adcodes (if given), in id order. An `only` name that does not name exactly one
    portal raises ValueError saying so."""
    query = select(Portal).where(Portal.home_url.is_not(None), Portal.home_url != "")
    if not include_disabled:
        query = query.where(Portal.enabled.is_(True))
    portals = [
        p
        for p in session.scalars(query.order_by(Portal.id))
        if not province or same_province(province, p.province)
    ]
    if only:
        wanted: set[int] = set()
        for name in only:
            found = resolve(session, name, province=province)
            if len(found) != 1:
                raise ValueError(f"--only {name!r} matches {len(found)} portals; use an adcode")
            wanted.add(found[0].id)
        portals = [p for p in portals if p.id in wanted]
    return portals

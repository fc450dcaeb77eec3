"""The portal registry: the packaged registry.csv, seeding it, resolving names, and the
tool that builds it (tools/build_registry.py)."""

from __future__ import annotations

import csv
import importlib.util
import io
import sys
import time
from collections import defaultdict
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from harvester.registry import (
    REGISTRY_COLUMNS,
    county_short,
    prefecture_short,
    province_short,
    registry_rows,
    resolve,
    seed_registry,
)
from harvester.storage.models import Portal

ROOT = Path(__file__).resolve().parent.parent


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Portal)) or 0


def _packaged_portals_csv() -> list[dict[str, str]]:
    text = resources.files("harvester").joinpath("data/portals.csv").read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


# --- the packaged registry ----------------------------------------------------------------


def test_registry_csv_has_the_documented_columns_and_consistent_codes() -> None:
    text = resources.files("harvester").joinpath("data/registry.csv").read_text("utf-8")
    header = next(csv.reader(io.StringIO(text)))
    assert tuple(header) == REGISTRY_COLUMNS
    rows = registry_rows()
    coded = [r for r in rows if r["adcode"]]
    # Nationwide there are about 2,850 county-level divisions (docs/registry.md).
    assert 2800 < len(coded) < 2950
    assert len({r["adcode"] for r in coded}) == len(coded)
    assert len({(r["province"], r["prefecture"], r["county"]) for r in rows}) == len(rows)
    # The first two digits name one province, the first four one prefecture.
    provinces: defaultdict[str, set[str]] = defaultdict(set)
    prefectures: defaultdict[str, set[str | None]] = defaultdict(set)
    for r in coded:
        provinces[r["adcode"][:2]].add(r["province"])
        prefectures[r["adcode"][:4]].add(r["prefecture"])
    assert all(len(names) == 1 for names in provinces.values()), provinces
    assert all(len(names) == 1 for names in prefectures.values()), prefectures
    assert len(provinces) == 31  # the mainland's province-level units
    # Districts of the municipalities have no prefecture, as in portals.csv.
    assert {r["prefecture"] for r in coded if r["adcode"][:2] in ("11", "12", "31", "50")} == {None}


def test_every_portals_csv_county_row_is_in_the_registry_with_its_url() -> None:
    rows = registry_rows()
    by_place = {(r["province"], r["prefecture"] or "", r["county"]): r for r in rows}
    by_name: defaultdict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        by_name[(r["province"], r["county"])].append(r)
    portals = [p for p in _packaged_portals_csv() if p["level"] == "county"]
    assert len(portals) > 2800
    for p in portals:
        row = by_place.get((p["province"], p["prefecture"], p["county"]))
        if row is None:  # filed under another prefecture there (新疆生产建设兵团)
            (row,) = by_name[(p["province"], p["county"])]
            assert p["prefecture"] in row["notes"], (p, row)
        assert row["home_url"] == (p["home_url"].strip() or None), p


def test_registry_rows_rejects_bad_values() -> None:
    header = ",".join(REGISTRY_COLUMNS)
    good = "340422,安徽省,淮南市,寿县,https://www.shouxian.gov.cn/,lonsun,https://a.gov.cn/x https://a.gov.cn/y,,yes,false,,x"
    (row,) = registry_rows(f"{header}\n{good}\n")
    assert row["family"] == "lonsun" and row["needs_browser"] is True and row["enabled"] is False
    assert row["column_urls"] == ["https://a.gov.cn/x", "https://a.gov.cn/y"]
    assert row["source"] == "seed"
    with pytest.raises(ValueError, match="family"):
        registry_rows(f"{header}\n{good.replace('lonsun', 'wordpress')}\n")
    with pytest.raises(ValueError, match="adcode"):
        registry_rows(f"{header}\n{good.replace('340422', '34042')}\n")
    with pytest.raises(ValueError, match="columns"):
        registry_rows("adcode,province\n340422,安徽省\n")


# --- seeding ------------------------------------------------------------------------------


def test_seeding_adds_every_row_fast_and_is_idempotent(session: Session) -> None:
    rows = registry_rows()
    started = time.perf_counter()
    added = seed_registry(session)
    session.commit()
    assert time.perf_counter() - started < 2.0
    assert added == len(rows) == _count(session)
    codes = set(session.scalars(select(Portal.adcode).where(Portal.adcode.is_not(None))))
    assert codes == {r["adcode"] for r in rows if r["adcode"]}
    assert set(session.scalars(select(Portal.source))) == {"seed"}
    with_url = session.scalar(
        select(func.count()).select_from(Portal).where(Portal.home_url.is_not(None))
    )
    assert with_url == sum(1 for r in rows if r["home_url"])

    assert seed_registry(session) == 0
    session.commit()
    assert _count(session) == len(rows)


def test_seeding_completes_a_partial_registry(session: Session) -> None:
    rows = registry_rows()
    assert seed_registry(session, rows[:100]) == 100
    session.commit()
    assert seed_registry(session) == len(rows) - 100
    session.commit()
    assert _count(session) == len(rows)


def test_user_edits_survive_reseeding(session: Session) -> None:
    seed_registry(session)
    session.commit()
    total = _count(session)
    (shou,) = resolve(session, "340422")
    shou.home_url = "https://corrected.shouxian.gov.cn/"
    shou.family = "lonsun"
    shou.source = "user"
    # A user replaced a seed row by one of their own without an adcode...
    (fengtai,) = resolve(session, "凤台县")
    session.delete(fengtai)
    session.flush()
    session.add(
        Portal(province="安徽省", prefecture="淮南市", county="凤台县", home_url="https://ft.example.gov.cn/", source="user")
    )
    session.commit()

    assert seed_registry(session) == 0  # 凤台县 340421 is present by place
    session.commit()
    assert _count(session) == total
    session.expire_all()
    (shou,) = resolve(session, "寿县")
    assert (shou.home_url, shou.family, shou.source) == ("https://corrected.shouxian.gov.cn/", "lonsun", "user")
    (fengtai,) = resolve(session, "凤台县")
    assert (fengtai.adcode, fengtai.home_url, fengtai.source) == (None, "https://ft.example.gov.cn/", "user")

    # A seed row deleted outright comes back.
    session.execute(delete(Portal).where(Portal.adcode == "340403"))
    session.commit()
    assert seed_registry(session) == 1
    session.commit()
    (back,) = resolve(session, "340403")
    assert back.county == "田家庵区" and back.source == "seed"


# --- resolving names ----------------------------------------------------------------------


@pytest.fixture
def seeded(session: Session) -> Session:
    seed_registry(session)
    session.commit()
    return session


def test_resolve_by_adcode_exact_and_short_name(seeded: Session) -> None:
    results = {q: resolve(seeded, q) for q in ("寿县", "寿", "340422", " 寿县 ")}
    for query, found in results.items():
        assert [(p.adcode, p.province, p.prefecture, p.county) for p in found] == [
            ("340422", "安徽省", "淮南市", "寿县")
        ], query
    # A short name matches whole stems only: 寿 is not 寿光市 or 寿宁县.
    assert resolve(seeded, "寿光")[0].county == "寿光市"
    assert resolve(seeded, "长阳")[0].county == "长阳土家族自治县"
    assert resolve(seeded, "鄂温克")[0].county == "鄂温克族自治旗"
    assert resolve(seeded, "不存在县") == []
    assert resolve(seeded, "999999") == []
    assert resolve(seeded, "") == []
    assert resolve(seeded, "%") == []


def test_resolve_ambiguous_names_and_narrowing(seeded: Session) -> None:
    found = resolve(seeded, "朝阳区")
    assert sorted((p.province, p.prefecture or "") for p in found) == [("北京市", ""), ("吉林省", "长春市")]
    for province in ("北京", "北京市"):
        (one,) = resolve(seeded, "朝阳区", province=province)
        assert (one.adcode, one.province) == ("110105", "北京市")
    (changchun,) = resolve(seeded, "朝阳区", prefecture="长春")
    assert changchun.adcode == "220104"
    assert resolve(seeded, "朝阳区", province="安徽") == []
    # Without its suffix 朝阳 also names 朝阳县 of 辽宁省朝阳市.
    loose = resolve(seeded, "朝阳")
    assert {p.county for p in loose} == {"朝阳区", "朝阳县"} and len(loose) == 3
    (liaoning,) = resolve(seeded, "朝阳", province="辽宁省")
    assert (liaoning.prefecture, liaoning.county) == ("朝阳市", "朝阳县")
    # An exact name wins over shortened ones.
    assert {p.county for p in resolve(seeded, "城区")} == {"城区"}
    assert resolve(seeded, "340422", province="北京") == []


def test_resolve_names_qualified_by_province_or_prefecture(seeded: Session) -> None:
    for query in ("安徽省淮南市寿县", "淮南寿县", "安徽寿县", "安徽淮南市寿县"):
        assert [p.adcode for p in resolve(seeded, query)] == ["340422"], query
    assert [p.adcode for p in resolve(seeded, "北京朝阳区")] == ["110105"]
    assert [p.adcode for p in resolve(seeded, "长春市朝阳区")] == ["220104"]
    assert [p.adcode for p in resolve(seeded, "吉林省朝阳区")] == ["220104"]
    assert resolve(seeded, "上海寿县") == []
    assert resolve(seeded, "淮南市") == []  # a prefecture, not a county-level division


def test_short_forms() -> None:
    assert [province_short(n) for n in ("安徽省", "北京市", "广西壮族自治区", "内蒙古自治区", "新疆维吾尔自治区")] == [
        "安徽", "北京", "广西", "内蒙古", "新疆"
    ]
    assert [prefecture_short(n) for n in ("淮南市", "恩施土家族苗族自治州", "阿里地区", "阿拉善盟")] == [
        "淮南", "恩施", "阿里", "阿拉善"
    ]
    assert [county_short(n) for n in ("寿县", "朝阳区", "积石山保安族东乡族撒拉族自治县", "城区", "县")] == [
        "寿", "朝阳", "积石山", "城", "县"
    ]


# --- the build tool -----------------------------------------------------------------------


def _build_tool():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("build_registry", ROOT / "tools" / "build_registry.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


DIVISIONS = """adcode,name,longitude,latitude
340000000000,安徽省,,
340400000000,淮南市,,
340421000000,凤台县,,
340422000000,寿县,,
110000000000,北京市,,
110100000000,北京市,,
110105000000,朝阳区,,
420000000000,湖北省,,
429004000000,仙桃市,,
420600000000,襄阳市,,
420606000000,樊城区,,
440000000000,广东省,,
441900000000,东莞市,,
810000000000,香港特别行政区,,
810001000000,中西区,,
"""

PORTALS = """level,province,prefecture,county,home_url
county,北京市,,朝阳区,http://www.bjchy.gov.cn/
county,安徽省,淮南市,寿县, https://www.shouxian.gov.cn/
county,湖北省,襄樊市,樊城区,http://www.fc.gov.cn/
county,安徽省,淮南市,毛集区,http://maoji.gov.cn/
prefecture,湖北省,仙桃市,,https://www.xiantao.gov.cn/
prefecture,广东省,东莞市,,http://www.dg.gov.cn/
"""


def test_build_registry_joins_divisions_and_portals(tmp_path: Path) -> None:
    tool = _build_tool()
    (tmp_path / "divisions.csv").write_text(DIVISIONS, "utf-8")
    (tmp_path / "portals.csv").write_text(PORTALS, "utf-8")
    out = tmp_path / "registry.csv"
    assert tool.main(["--divisions", str(tmp_path / "divisions.csv"), "--portals", str(tmp_path / "portals.csv"), "--out", str(out)]) == 0
    rows = {r["county"]: r for r in registry_rows(out.read_text("utf-8"))}
    # Every mainland county-level division, plus cities without counties; not Hong Kong.
    assert set(rows) == {"凤台县", "寿县", "朝阳区", "仙桃市", "樊城区", "东莞市", "毛集区"}
    assert (rows["寿县"]["adcode"], rows["寿县"]["home_url"]) == ("340422", "https://www.shouxian.gov.cn/")
    assert (rows["朝阳区"]["adcode"], rows["朝阳区"]["prefecture"]) == ("110105", None)
    assert (rows["凤台县"]["home_url"], rows["凤台县"]["notes"]) == (None, "no portal URL known (not in portals.csv)")
    # Renamed prefecture (襄樊 → 襄阳): matched, and the difference noted.
    assert (rows["樊城区"]["adcode"], rows["樊城区"]["prefecture"]) == ("420606", "襄阳市")
    assert "襄樊市" in rows["樊城区"]["notes"]
    # Directly under the province, listed in portals.csv as a prefecture-level row.
    assert (rows["仙桃市"]["adcode"], rows["仙桃市"]["prefecture"], rows["仙桃市"]["home_url"]) == (
        "429004", None, "https://www.xiantao.gov.cn/"
    )
    assert (rows["东莞市"]["adcode"], rows["东莞市"]["home_url"]) == ("441900", "http://www.dg.gov.cn/")
    # A portals.csv row that is no division is kept, without adcode, with a note.
    assert rows["毛集区"]["adcode"] is None and "not a county-level division" in rows["毛集区"]["notes"]
    assert rows["毛集区"]["home_url"] == "http://maoji.gov.cn/"

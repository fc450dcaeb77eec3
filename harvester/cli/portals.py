"""`harvester portals`: list, show, add and correct the registry of county-level portals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table
from sqlalchemy import func, select

from harvester.cli.common import database_options, fail, open_env, output_options
from harvester.cli.portals_common import (
    FAMILY,
    canonical,
    check_url,
    one_portal,
    place,
    seeded_env,
)
from harvester.proxies import ProxyError, check_registry_proxy, mask_proxy
from harvester.registry import (
    ADCODE_RE,
    portal_dict,
    resolve,
    same_prefecture,
    same_province,
    seed_registry,
)
from harvester.storage.db import session_scope
from harvester.storage.models import PORTAL_FAMILIES, Portal, PortalRun, Report


@click.group("portals")
def portals() -> None:
    """The registry of county-level portals: one row per county-level division, with its
    portal URL when known. Rows you add or change are marked source=user and are never
    overwritten by re-seeding from the packaged registry.

    \b
    Examples:
      harvester portals list --province 安徽 --without-url
      harvester portals show 寿县
      harvester portals set 朝阳区 --province 北京 --url http://www.bjchy.gov.cn/
      harvester portals add --province 安徽 --prefecture 合肥 --county 合肥高新区 --url https://…
    """


@portals.command("list")
@click.option("--province", help="Only this province (安徽 or 安徽省).")
@click.option("--prefecture", help="Only this prefecture (淮南 or 淮南市).")
@click.option("--family", type=FAMILY, help="Only this site-software family.")
@click.option(
    "--with-url/--without-url",
    "with_url",
    default=None,
    help="Only portals with (without) a home URL.",
)
@click.option("--limit", default=50, show_default=True, help="At most this many rows (0: all).")
@database_options
@output_options
def list_command(
    province: str | None,
    prefecture: str | None,
    family: str | None,
    with_url: bool | None,
    limit: int,
    db: str | None,
    data_dir: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """List registry rows, ordered by adcode (rows without one last).

    \b
    Examples:
      harvester portals list --province 安徽省 --limit 0
      harvester portals list --prefecture 淮南 --json
      harvester portals list --without-url --limit 0 --json | jq -r '.portals[].county'
      harvester portals list --family trs
    """
    env = seeded_env(db, data_dir, quiet, as_json, access="read")
    with session_scope(env.engine) as session:
        query = select(Portal)
        if family:
            query = query.where(Portal.family == family)
        if with_url is True:
            query = query.where(Portal.home_url.is_not(None), Portal.home_url != "")
        elif with_url is False:
            query = query.where((Portal.home_url.is_(None)) | (Portal.home_url == ""))
        rows = list(
            session.scalars(
                query.order_by(
                    Portal.adcode.is_(None), Portal.adcode, Portal.province, Portal.county
                )
            )
        )
        rows = [
            p
            for p in rows
            if (not province or same_province(province, p.province))
            and (not prefecture or same_prefecture(prefecture, p.prefecture))
        ]
        total = len(rows)
        shown = [portal_dict(p) for p in (rows[:limit] if limit > 0 else rows)]
    if as_json:
        env.emit_json({"total": total, "shown": len(shown), "portals": shown})
        return
    table = Table(title_justify="left")
    for col in ("adcode", "province", "prefecture", "county", "home_url", "family", "flags"):
        table.add_column(col, overflow="fold", no_wrap=col in ("adcode", "home_url"))
    for p in shown:
        flags = [
            f
            for f, on in (
                ("disabled", not p["enabled"]),
                ("browser", p["needs_browser"]),
                ("user", p["source"] == "user"),
            )
            if on
        ]
        table.add_row(
            p["adcode"] or "—",
            p["province"],
            p["prefecture"] or "",
            p["county"],
            p["home_url"] or "—",
            p["family"] or "",
            " ".join(flags),
        )
    env.say(table)
    env.say(
        f"{len(shown)} of {total} portals"
        + ("" if len(shown) == total else " (raise --limit, 0 for all)")
    )


@portals.command("show")
@click.argument("name")
@click.option("--province", help="Disambiguate NAME by province (北京 or 北京市).")
@click.option("--prefecture", help="Disambiguate NAME by prefecture (长春 or 长春市).")
@database_options
@output_options
def show(
    name: str,
    province: str | None,
    prefecture: str | None,
    db: str | None,
    data_dir: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Show every portal NAME may mean, with its reports and last run.

    NAME is a 6-digit adcode or a county-level name with or without 县/区/市/旗 (寿县, 寿).
    An unknown NAME exits with code 2.

    \b
    Examples:
      harvester portals show 寿县
      harvester portals show 340422 --json
      harvester portals show 朝阳区              # both 朝阳区 (北京市, 长春市)
      harvester portals show 朝阳区 --province 北京
    """
    env = seeded_env(db, data_dir, quiet, as_json, access="read")
    with session_scope(env.engine) as session:
        found = resolve(session, name, province=province, prefecture=prefecture)
        if not found:
            fail(
                f"no county-level portal named {name!r}; see `harvester portals list` or add it with `harvester portals add`"
            )
        payload = []
        for portal in found:
            item = portal_dict(portal)
            item["reports"] = (
                session.scalar(
                    select(func.count()).select_from(Report).where(Report.portal_id == portal.id)
                )
                or 0
            )
            last = session.scalars(
                select(PortalRun)
                .where(PortalRun.portal_id == portal.id)
                .order_by(PortalRun.id.desc())
                .limit(1)
            ).first()
            item["last_run"] = (
                None
                if last is None
                else {
                    "run_id": last.run_id,
                    "outcome": last.outcome,
                    "finished_at": last.finished_at,
                    "reasons": [f.get("reason") for f in last.failures or []],
                }
            )
            payload.append(item)
    if as_json:
        env.emit_json(payload)
        return
    if len(payload) > 1:
        env.say(
            f"{len(payload)} portals match {name!r}; narrow with --province/--prefecture or use the adcode"
        )
    for item in payload:
        table = Table(
            show_header=False,
            title=" ".join(filter(None, [item["province"], item["prefecture"], item["county"]])),
            title_justify="left",
        )
        table.add_column("field", style="bold")
        table.add_column("value", overflow="fold")
        for key in (
            "adcode",
            "home_url",
            "column_urls",
            "family",
            "encoding",
            "needs_browser",
            "enabled",
            "notes",
            "allowed_hosts",
            "source",
            "url_source",
            "url_verified_at",
            "check",
            "proxy",
            "reports",
            "last_run",
        ):
            value = item[key]
            if isinstance(value, list):
                value = "\n".join(value)
            elif isinstance(value, dict) and key == "check":
                value = (
                    f"{value['result']} ({value['checked_at']:%Y-%m-%d %H:%M}): {value['detail']}"
                )
            elif isinstance(value, dict):
                value = f"run {value['run_id']}: {value['outcome']}" + (
                    " — " + "; ".join(r or "?" for r in value["reasons"])
                    if value["reasons"]
                    else ""
                )
            table.add_row(key, "—" if value in (None, "") else str(value))
        env.say(table)


@portals.command("add")
@click.option(
    "--province",
    required=True,
    help="Province-level unit (安徽省; a short form is completed from the registry).",
)
@click.option(
    "--prefecture",
    help="Prefecture (淮南市); omit for districts of 北京/天津/上海/重庆 and counties directly under a province.",
)
@click.option("--county", required=True, help="County-level name as officially written (寿县).")
@click.option("--adcode", help="6-digit administrative division code.")
@click.option("--url", required=True, help="Portal home URL.")
@click.option("--family", type=FAMILY, help="Site-software family, when known.")
@click.option(
    "--column-url",
    "column_urls",
    multiple=True,
    help="A known 年报 column (list) page (repeatable).",
)
@click.option(
    "--encoding", help="Page encoding override (e.g. gb18030), when the site declares a wrong one."
)
@click.option("--needs-browser", is_flag=True, help="Pages must be rendered in Chromium.")
@database_options
@output_options
def add(
    province: str,
    prefecture: str | None,
    county: str,
    adcode: str | None,
    url: str,
    family: str | None,
    column_urls: tuple[str, ...],
    encoding: str | None,
    needs_browser: bool,
    db: str | None,
    data_dir: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Add a portal the registry lacks (marked source=user).

    For places already in the registry (an existing adcode, or the same province,
    prefecture and county) use `harvester portals set` instead: add refuses them. A short
    province or prefecture (安徽, 合肥) is completed to the registry's spelling.

    \b
    Examples:
      harvester portals add --province 安徽 --prefecture 合肥 --county 合肥高新区 \\
          --url https://gxq.hefei.gov.cn/
      harvester portals add --province 海南省 --prefecture 三沙市 --county 永乐区 \\
          --url https://…/ --family trs --column-url https://…/zfxxgknb/ --needs-browser
    """
    if adcode is not None and not ADCODE_RE.match(adcode):
        fail(f"--adcode must be 6 digits, got {adcode!r}")
    check_url(url, "--url")
    for column in column_urls:
        check_url(column, "--column-url")
    env = seeded_env(db, data_dir, quiet, as_json)
    with session_scope(env.engine) as session:
        provinces = list(session.scalars(select(Portal.province).distinct()))
        province = canonical(provinces, province, same_province) or province
        prefectures = list(
            session.scalars(select(Portal.prefecture).where(Portal.province == province).distinct())
        )
        prefecture = canonical([p for p in prefectures if p], prefecture, same_prefecture)
        county = county.strip()
        if adcode:
            clash = session.scalars(select(Portal).where(Portal.adcode == adcode)).first()
            if clash is not None:
                fail(
                    f"adcode {adcode} is already {place(clash)}; change it with `harvester portals set {adcode} …`"
                )
        clash = session.scalars(
            select(Portal).where(
                Portal.province == province,
                Portal.county == county,
                Portal.prefecture.is_(None) if not prefecture else Portal.prefecture == prefecture,
            )
        ).first()
        if clash is not None:
            fail(
                f"{place(clash)} is already in the registry; change it with `harvester portals set {clash.adcode or county} …`"
            )
        portal = Portal(
            adcode=adcode,
            province=province,
            prefecture=prefecture or None,
            county=county,
            home_url=url,
            family=family,
            column_urls=list(column_urls),
            encoding=encoding or None,
            needs_browser=needs_browser,
            enabled=True,
            notes="",
            source="user",
            url_source="user",
        )
        session.add(portal)
        session.flush()
        payload = portal_dict(portal)
    if as_json:
        env.emit_json(payload)
    else:
        env.say(f"added portal {payload['id']}: {place(portal)} {url}")


@portals.command("set")
@click.argument("name")
@click.option("--province", help="Disambiguate NAME by province (北京 or 北京市).")
@click.option("--prefecture", help="Disambiguate NAME by prefecture (长春 or 长春市).")
@click.option("--url", help="New home URL ('' clears it).")
@click.option(
    "--family",
    type=click.Choice((*PORTAL_FAMILIES, "")),
    help="Site-software family ('' clears it).",
)
@click.option(
    "--column-url",
    "column_urls",
    multiple=True,
    help="Known 年报 column pages (repeatable; replaces the list).",
)
@click.option("--no-column-urls", is_flag=True, help="Forget the known column pages.")
@click.option("--encoding", help="Page encoding override ('' clears it).")
@click.option(
    "--needs-browser/--no-needs-browser", default=None, help="Render pages in Chromium (or not)."
)
@click.option("--enable/--disable", "enabled", default=None, help="Crawl this portal (or skip it).")
@click.option("--notes", help="Free text for maintainers (replaces the notes).")
@click.option(
    "--proxy",
    metavar="URL",
    help="This portal's own HTTP(S) proxy (no credentials; env:NAME reads the URL from $NAME), 'direct' for none even under a global --proxy ('' clears).",
)
@database_options
@output_options
def set_command(
    name: str,
    province: str | None,
    prefecture: str | None,
    url: str | None,
    family: str | None,
    column_urls: tuple[str, ...],
    no_column_urls: bool,
    encoding: str | None,
    needs_browser: bool | None,
    enabled: bool | None,
    notes: str | None,
    proxy: str | None,
    db: str | None,
    data_dir: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Correct one portal's registry row (marks it source=user).

    A row you changed is kept as you left it by every later re-seed. NAME is an adcode or
    a county-level name as for `portals show`; an ambiguous NAME exits with code 2.

    \b
    Examples:
      harvester portals set 寿县 --url https://www.shouxian.gov.cn/ --family lonsun
      harvester portals set 340422 --column-url https://www.shouxian.gov.cn/public/column/6596221?type=3
      harvester portals set 朝阳区 --province 北京 --needs-browser
      harvester portals set 金门县 --disable --notes "not administered; no portal"
      harvester portals set 寿县 --proxy env:CN_PROXY   # URL in $CN_PROXY
    """
    changes: dict[str, Any] = {}
    if url is not None:
        check_url(url, "--url")
        changes["home_url"] = url or None
    if family is not None:
        changes["family"] = family or None
    if column_urls and no_column_urls:
        fail("give --column-url or --no-column-urls, not both")
    if column_urls:
        for column in column_urls:
            check_url(column, "--column-url")
        changes["column_urls"] = list(column_urls)
    elif no_column_urls:
        changes["column_urls"] = []
    if encoding is not None:
        changes["encoding"] = encoding or None
    if needs_browser is not None:
        changes["needs_browser"] = needs_browser
    if enabled is not None:
        changes["enabled"] = enabled
    if notes is not None:
        changes["notes"] = notes
    if proxy is not None:
        try:
            changes["proxy"] = check_registry_proxy(proxy) if proxy else None
        except ProxyError as exc:
            fail(str(exc))
    if not changes:
        fail(
            "nothing to change: give --url, --family, --column-url, --encoding, --needs-browser, --enable/--disable, --notes or --proxy"
        )
    env = seeded_env(db, data_dir, quiet, as_json)
    with session_scope(env.engine) as session:
        portal = one_portal(session, name, province, prefecture)
        for key, value in changes.items():
            setattr(portal, key, value)
        if "home_url" in changes:
            portal.url_source = "user" if changes["home_url"] else None
            portal.url_verified_at = None
        portal.source = "user"
        session.flush()
        payload = portal_dict(portal)
    if as_json:
        env.emit_json(payload)
    else:
        shown = {k: (mask_proxy(v) if k == "proxy" else v) for k, v in changes.items()}
        env.say(
            f"updated {place(portal)} ({portal.adcode or 'no adcode'}): "
            + ", ".join(f"{k}={v!r}" for k, v in shown.items())
        )


@portals.command("seed")
@database_options
@output_options
def seed(db: str | None, data_dir: Path | None, quiet: bool, as_json: bool) -> None:
    """Add the packaged registry's rows the database lacks.

    Run it after upgrading harvester. Existing rows, yours or the seed's, are never changed.

    \b
    Examples:
      harvester portals seed
      harvester portals seed --db postgresql+psycopg://user@host/harvester --json
    """
    env = open_env(db, data_dir, quiet, as_json, access="write")
    with session_scope(env.engine) as session:
        added = seed_registry(session)
        total = session.scalar(select(func.count()).select_from(Portal)) or 0
    if as_json:
        env.emit_json({"added": added, "total": total})
    else:
        env.say(f"added {added} portals; the registry has {total}")


from harvester.cli.portals_check import check  # noqa: E402 - after the group it joins

portals.add_command(check)

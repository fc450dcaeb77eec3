"""The Datasette plugin: harvester's pages as routes on the Datasette app.

Registered by `harvester.web.app.build`; the state (read-only engine, blob store) hangs
on the Datasette instance. Every value reaches the page through Jinja's autoescaping;
links are made only from http(s) URLs; raw documents are served with their stored media
type inside a CSP sandbox (their scripts never run, they load nothing).
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from datasette import hookimpl
from datasette.utils.asgi import Response
from sqlalchemy.orm import Session

from harvester.storage.blobs import BlobError, BlobStoreUnavailable
from harvester.web import data
from harvester.web.layout import record_grids, show, unplaced_failures

STATE_ATTRIBUTE = "harvester_web_state"
# Served documents are portal bytes: a sandbox without scripts, same-origin or network.
SANDBOX = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"
# Chromium's PDF viewer does not run inside a sandboxed document; PDFs run no page script.
UNSANDBOXED = {"application/pdf"}


def state(datasette: Any) -> data.WebState:
    return getattr(datasette, STATE_ATTRIBUTE)


def http_only(url: Any) -> str | None:
    """The URL when it is an http(s) URL (safe as a link), else None (shown as text)."""
    if not isinstance(url, str):
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url if scheme in ("http", "https") else None


def content_disposition(filename: str | None, media_type: str) -> str:
    """`inline`, with the file name the document had on the portal (RFC 6266/5987), an
    extension added from the media type when the name has none."""
    import mimetypes
    from urllib.parse import quote

    name = "".join(ch for ch in (filename or "") if ch.isprintable() and ch not in '"\\/;')
    if not name:
        return "inline"
    if "." not in name:
        name += mimetypes.guess_extension(media_type.split(";")[0].strip()) or ""
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
    return f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _text(value: str | None) -> str | None:
    return value if value else None


async def _page(
    datasette: Any, request: Any, template: str, context: data.TemplateContext, status: int = 200
) -> Response:
    from datasette.utils import tilde_encode

    name = state(datasette).database
    html = await datasette.render_template(
        template,
        {**context, "database": name, "database_path": "/" + tilde_encode(name)},
        request=request,
    )
    return Response.html(html, status=status)


async def _in_session(datasette: Any, work: Any) -> Any:
    def run() -> Any:
        with Session(state(datasette).engine) as session:
            return work(session)

    return await asyncio.to_thread(run)


async def _in_connection(datasette: Any, work: Any) -> Any:
    def run() -> Any:
        with state(datasette).engine.connect() as connection:
            return work(connection)

    return await asyncio.to_thread(run)


def _lightness(bodies: int, peak: int) -> int:
    """Heat-map shade: more bodies found, darker green."""
    if peak <= 0:
        return 90
    return int(88 - 48 * min(bodies, peak) / peak)


async def coverage_view(datasette: Any, request: Any) -> Response:
    province = _text(request.args.get("province"))
    show_all = request.args.get("all") == "1"
    matrix = await _in_connection(datasette, lambda c: data.coverage(c, province, show_all))
    return await _page(
        datasette, request, "harvester_coverage.html", {"m": matrix, "lightness": _lightness}
    )


async def reports_view(datasette: Any, request: Any) -> Response:
    portal_id = _int(request.args.get("portal"))
    year = _int(request.args.get("year"))
    if portal_id is None:
        return Response.redirect("/-/coverage")

    def work(session: Session) -> tuple[Any, list[data.TemplateContext]]:
        from harvester.storage.models import Portal

        portal = session.get(Portal, portal_id)
        return portal, data.reports_of_cell(session.connection(), portal_id, year)

    portal, reports = await _in_session(datasette, work)
    if portal is None:
        return await _page(datasette, request, "harvester_missing.html", {"what": "portal"}, 404)
    return await _page(
        datasette,
        request,
        "harvester_reports.html",
        {"portal": portal, "year": year, "reports": reports},
    )


async def report_view(datasette: Any, request: Any) -> Response:
    report_id = int(request.url_vars["report_id"])
    version_id = _int(request.args.get("version"))
    detail = await _in_session(datasette, lambda s: data.report_detail(s, report_id, version_id))
    if detail is None:
        return await _page(datasette, request, "harvester_missing.html", {"what": "report"}, 404)
    record = detail["record"]
    grids = record_grids(record) if record else []
    return await _page(
        datasette,
        request,
        "harvester_report.html",
        {
            **detail,
            "grids": grids,
            "unplaced": unplaced_failures(record, grids) if record else [],
            "failing": [c for c in (record or {}).get("checks", []) if not c.get("ok", True)],
        },
    )


async def checks_view(datasette: Any, request: Any) -> Response:
    rule = _text(request.args.get("rule"))
    province = _text(request.args.get("province"))
    year = _int(request.args.get("year"))
    found = await _in_connection(datasette, lambda c: data.failing_checks(c, rule, province, year))
    return await _page(datasette, request, "harvester_checks.html", {"c": found})


async def blob_view(datasette: Any, request: Any) -> Response:
    sha = request.url_vars["sha256"]
    found = await _in_session(datasette, lambda s: data.blob_media_type(s, sha))
    if found is None:
        return Response.text(f"no stored document with sha256 {sha}", status=404)
    try:
        body = await asyncio.to_thread(state(datasette).blobs.get, sha)
    except BlobError as exc:
        return Response.text(f"the stored bytes cannot be served: {exc}", status=404)
    except BlobStoreUnavailable as exc:
        return Response.text(f"the blob store cannot be read: {exc}", status=503)
    media_type, filename = found
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=86400",
        "Content-Disposition": content_disposition(filename, media_type),
    }
    if media_type.split(";")[0].strip().lower() not in UNSANDBOXED:
        headers["Content-Security-Policy"] = SANDBOX
    return Response(body, status=200, headers=headers, content_type=media_type)


async def text_view(datasette: Any, request: Any) -> Response:
    document_id = int(request.url_vars["document_id"])
    found = await _in_session(datasette, lambda s: data.document_text(s, document_id))
    if found is None:
        return await _page(datasette, request, "harvester_missing.html", {"what": "document"}, 404)
    return await _page(datasette, request, "harvester_text.html", found)


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    return [
        (r"^/-/coverage$", coverage_view),
        (r"^/-/reports$", reports_view),
        (r"^/-/report/(?P<report_id>\d+)$", report_view),
        (r"^/-/checks$", checks_view),
        (r"^/-/blob/(?P<sha256>[0-9a-f]{64})$", blob_view),
        (r"^/-/document/(?P<document_id>\d+)/text$", text_view),
    ]


@hookimpl
def menu_links(datasette: Any, actor: Any, request: Any) -> list[dict[str, str]]:
    return [
        {"href": "/-/coverage", "label": "Coverage"},
        {"href": "/-/checks", "label": "Failing checks"},
    ]


@hookimpl
def prepare_jinja2_environment(env: Any, datasette: Any) -> None:
    env.filters["http_only"] = http_only
    env.filters["show"] = show

"""Datasette metadata: what every table and column means (as docs/storage.md says), the
record's sections (as docs/record-schema.md and the shipped JSON Schema say), and a few
canned queries.

`tests/test_web.py` checks that every column of every table has a description here.
"""

from __future__ import annotations

import html
from typing import Any

from datasette.utils import tilde_encode

from harvester.export import record_schema

TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "portal": (
        "The registry of county portals (docs/registry.md).",
        {
            "id": "key",
            "adcode": "6-digit administrative division code; unique when set",
            "province": "province-level unit",
            "prefecture": "prefecture-level unit; null for counties directly under a province-level unit",
            "county": "county-level unit",
            "home_url": "portal home page",
            "column_urls": "JSON list of known 年报 column (listing) pages",
            "family": "site-software family (trs, hanweb, lonsun, vsb, shandong, gkmlpt, generic), null when unknown",
            "encoding": "override of the declared page encoding, null to trust the site",
            "needs_browser": "pages must be rendered in Chromium",
            "enabled": "crawled by `harvester crawl`",
            "notes": "free text for maintainers",
            "allowed_hosts": "JSON list of hosts the crawler may follow links to",
            "selectors": "JSON object of per-portal CSS/XPath overrides",
            "source": "seed (the packaged registry) or user (added locally)",
            "url_source": "where home_url came from: registry.csv and its source, user, or check (a move adopted by `portals check --follow-moves`)",
            "url_verified_at": "when `harvester portals check` last found home_url answering (UTC)",
            "check_result": "last `harvester portals check`: ok, moved, challenge, stub, blocked, http_error or dead",
            "check_detail": "what that check saw (status, size, or why the host is dead)",
            "checked_at": "when that check ran (UTC)",
            "check_final_url": "where the home page ended up (another host: the portal moved)",
            "proxy": "the portal's own proxy (no credentials; env:NAME reads it from $NAME), direct for none; null: the crawl's global proxy",
            "created_at": "when the row was added (UTC)",
            "updated_at": "when the row last changed (UTC)",
        },
    ),
    "crawl_run": (
        "One invocation of scrape, crawl, reparse or demo.",
        {
            "id": "key",
            "kind": "scrape, crawl, reparse or demo",
            "arguments": "JSON: what was asked",
            "code_version": "package version plus git hash of the code that ran",
            "started_at": "start (UTC)",
            "finished_at": "end (UTC), null while running",
            "counts": "JSON figures of the run",
            "outcome": "running → ok | partial | failed | interrupted",
            "failures": "JSON list of {portal, url, reason}",
            "pid": "process id of the run",
            "host": "host the run ran on",
        },
    ),
    "portal_run": (
        "What a run did on one portal; no report found is a failure with its reason.",
        {
            "id": "key",
            "run_id": "the run",
            "portal_id": "the portal",
            "outcome": "ok, failed, running or interrupted",
            "reports_found": "reports found on the portal",
            "documents": "documents stored",
            "failures": "JSON list of {url, reason}",
            "started_at": "start (UTC)",
            "finished_at": "end (UTC)",
            "walked_from": "where the walk began: home page, known lists (the last full "
            "walk's, within the revisit cadence) or registry columns",
        },
    ),
    "fetch": (
        "One row per HTTP exchange (or browser page load), successful or not.",
        {
            "id": "key",
            "run_id": "the run that fetched it",
            "portal_id": "the portal it was fetched for",
            "url": "what was requested",
            "url_sha256": "indexed hash of url",
            "final_url": "where redirects ended",
            "method": "request method",
            "status": "HTTP status, null when no response came",
            "request_headers": "JSON: the request headers that matter (User-Agent, Referer, conditional headers)",
            "response_headers": "JSON: the response headers",
            "fetched_at": "when (UTC)",
            "duration_ms": "how long, in milliseconds",
            "bytes": "body length received (also for truncated bodies)",
            "sha256": "the stored blob, only when the body arrived in full",
            "complete": "true exactly when the body was received in full and stored",
            "via": "http or browser",
            "referer": "the page that linked to this URL",
            "error": "why it failed: network error, or `truncated: got N of M bytes`",
            "not_modified": "the server answered 304 (nothing new, nothing stored)",
            "rendered_sha256": "browser fetches: the DOM Chromium rendered from this body, when the crawl read it (derived; sha256 is the server's bytes)",
            "proxy": "the proxy that carried the exchange (scheme://host:port, never its credentials); null: none",
        },
    ),
    "blob": (
        "One row per stored byte string, kept in the blob store (setting blob_store) as ab/cd/<sha256>.",
        {
            "sha256": "SHA-256 of the bytes (key); /-/blob/<sha256> serves them",
            "size": "length in bytes",
            "media_type": "sniffed from the bytes (the server's Content-Type only breaks ties)",
            "stored_at": "when (UTC)",
        },
    ),
    "report": (
        "One annual report: an agency's report for a year, as found on a portal. /-/report/<id> shows it.",
        {
            "id": "key; /-/report/<id> lays its tables out",
            "portal_id": "the portal it was found on",
            "agency": "the issuing body",
            "year": "the year reported on",
            "title": "the title as published",
            "url": "the article page, or the document itself when linked directly",
            "first_seen_run": "the run that first found it",
            "last_seen_run": "the run that last saw it",
        },
    ),
    "report_version": (
        "One distinct content of a report; a corrected report gets a new version, the old one stays.",
        {
            "id": "key",
            "report_id": "the report",
            "content_hash": "SHA-256 over the version's document hashes in order",
            "created_at": "when (UTC)",
            "run_id": "the run that first saw it",
        },
    ),
    "version_document": (
        "The documents of a version (article page, attachments), with their provenance.",
        {
            "id": "key; /-/document/<id>/text shows its normalised text",
            "version_id": "the version",
            "position": "order within the version",
            "role": "page (the article page) or attachment (a linked file)",
            "url": "where it was linked",
            "final_url": "where redirects ended",
            "sha256": "the stored bytes (blob)",
            "fetch_id": "the HTTP exchange that produced it",
            "media_type": "media type of the bytes",
            "bytes": "length in bytes",
            "fetched_at": "when (UTC)",
        },
    ),
    "parse_result": (
        "A parse of a version by one parser version: the normalised documents and the exported record.",
        {
            "id": "key",
            "version_id": "the version parsed",
            "parser_version": "version of the parser",
            "normalizer_version": "version of the normalisers",
            "parsed_at": "when (UTC)",
            "normalised": "JSON: the normalised documents",
            "record": "JSON: the exported record (docs/record-schema.md)",
            "checks": "JSON list of {rule, ok, status, message, detail}",
            "warnings": "JSON list of what was guessed, skipped or repaired",
            "ok": "every hard check passed and the tables were read",
            "error": "why the parse failed, if it did",
            "is_current": "the parse exports and the web view show (earlier parses are kept)",
            "run_id": "the run (crawl or reparse) that made this parse",
        },
    ),
    "listed_report": (
        "Report pages as the portals' lists show them, and when each was last fetched whole: "
        "what the revisit policy decides a re-crawl's requests by.",
        {
            "id": "key",
            "portal_id": "the portal whose list links the page",
            "url_key": "sha256 of the URL (URLs may be long)",
            "url": "the report page as the list links it",
            "entry": "the list entry's text, whitespace collapsed",
            "report_id": "the report the page is",
            "checked_at": "when the page and its documents were last fetched whole (UTC)",
            "checked_run": "the run that did",
        },
    ),
    "walk_entry": (
        "Where a portal's last full walk entered its lists: a re-crawl within the revisit "
        "cadence starts there instead of the home page.",
        {
            "id": "key",
            "portal_id": "the portal",
            "found_run": "the run whose walk found it",
            "found_at": "when (UTC)",
            "home_url": "the registry home page the walk began at",
            "kind": "list, unit_list (a JSON unit list read on the way) or host (moved to)",
            "url": "the list, unit list or host",
            "meta": "the list request's hints: body, year, depth, its unit",
        },
    ),
    "setting": (
        "Facts about this database by name; blob_store is where its raw bytes live.",
        {
            "name": "the setting (key), e.g. blob_store",
            "value": "its value",
            "updated_at": "when it was last set (UTC)",
        },
    ),
    "run_lock": (
        "One run at a time per database.",
        {
            "name": "lock name (key), e.g. crawl",
            "holder": "who holds it",
            "pid": "process id of the holder",
            "host": "host of the holder",
            "acquired_at": "when it was taken (UTC)",
            "heartbeat_at": "last heartbeat (UTC)",
        },
    ),
    "alembic_version": ("The schema revision (Alembic).", {"version_num": "revision id"}),
}

QUERIES: dict[str, dict[str, Any]] = {
    "reports": {
        "title": "Reports with their newest parse",
        "description": "One row per report: where, which body, which year, whether its newest parse holds every check.",
        "sql": """
SELECT p.province, p.prefecture, p.county, r.agency, r.year, r.title, r.url,
       pr.ok AS checks_ok, '/-/report/' || r.id AS report_page
FROM report r
JOIN portal p ON p.id = r.portal_id
LEFT JOIN report_version v ON v.id = (SELECT max(id) FROM report_version WHERE report_id = r.id)
LEFT JOIN parse_result pr ON pr.id = (
    SELECT id FROM parse_result WHERE version_id = v.id ORDER BY parsed_at DESC, id DESC LIMIT 1)
ORDER BY p.province, p.prefecture, p.county, r.year DESC, r.agency
""".strip(),
    },
    "failing_portals": {
        "title": "Portals whose last run failed, and why",
        "sql": """
SELECT p.province, p.prefecture, p.county, p.home_url, pr.outcome, pr.failures, pr.finished_at
FROM portal_run pr JOIN portal p ON p.id = pr.portal_id
WHERE pr.id IN (SELECT max(id) FROM portal_run GROUP BY portal_id) AND pr.outcome != 'ok'
ORDER BY p.province, p.prefecture, p.county
""".strip(),
    },
}


def _section_descriptions() -> str:
    props = record_schema()["properties"]
    parts = [
        f"{key}: {props[key].get('description', '')}"
        for key in ("proactive", "applications", "review_litigation")
    ]
    return "; ".join(parts)


def metadata(database: str) -> dict[str, Any]:
    """The metadata for Datasette, the harvest's database being named `database`."""
    tables = {
        name: {"description": description, "columns": columns}
        for name, (description, columns) in TABLES.items()
    }
    tables["parse_result"]["columns"]["record"] += f" — sections {_section_descriptions()}"
    path = html.escape("/" + tilde_encode(database))
    return {
        "title": "harvester — government information-disclosure annual reports",
        "description_html": (
            '<p><a href="/-/coverage">Coverage</a> (county × year) · '
            '<a href="/-/checks">Failing checks</a> · '
            f'<a href="{path}/reports">All reports</a> · '
            f'<a href="{path}">Tables and SQL</a></p>'
            "<p>Read-only. Every number links back to the documents it came from: "
            "URL, fetch time, HTTP status and the sha256 of the stored bytes.</p>"
        ),
        "databases": {database: {"tables": tables, "queries": QUERIES}},
    }

"""The spider's callbacks on saved responses (tests/fixtures/responses), without a crawl:
which links it follows, which it leaves, and the report items it assembles."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request, Response
from sqlalchemy.engine import Engine

from harvester.crawl.context import CrawlContext
from harvester.items import FETCHED_META, FetchedDocument, ReportItem
from harvester.storage.db import session_scope
from harvester.storage.models import Portal
from harvester.storage.types import utcnow
from spiders.reports import AnnualReportSpider

FIXTURES = Path(__file__).parent / "fixtures" / "responses"
HOME = "http://www.qingshan.gov.cn/"
COLUMN = HOME + "zwgk/zfxxgknb/"
ARTICLE = COLUMN + "202401/t20240115_1001.html"


def spider_for(
    engine: Engine, database_url: str, tmp_path: Path, **context: Any
) -> AnnualReportSpider:
    with session_scope(engine) as session:
        portal = Portal(province="测试省", county="青山县", home_url=HOME, family="trs")
        session.add(portal)
        session.flush()
        portal_id = portal.id
    return AnnualReportSpider(CrawlContext(database_url, tmp_path, 0, [portal_id], **context))


@pytest.fixture
def spider(engine: Engine, database_url: str, tmp_path: Path) -> Iterator[AnnualReportSpider]:
    spider = spider_for(engine, database_url, tmp_path)
    yield spider
    spider.context.engine.dispose()


def saved(
    spider: AnnualReportSpider,
    url: str,
    body: bytes | str,
    media_type: str = "text/html",
    status: int = 200,
    **meta: Any,
) -> Response:
    """A response as the fetch recorder hands it to the spider: bytes and their document."""
    data = (FIXTURES / body).read_bytes() if isinstance(body, str) else body
    (portal_id,) = spider.context.states
    request = Request(url, meta={"portal_id": portal_id, "page_url": url, **meta})
    request.meta[FETCHED_META] = FetchedDocument(
        url=url,
        final_url=url,
        status=status,
        media_type=media_type,
        fetched_at=utcnow(),
        via="http",
        sha256=hashlib.sha256(data).hexdigest(),
        bytes=len(data),
        complete=True,
    )
    return HtmlResponse(
        url, status=status, body=data, headers={"Content-Type": media_type}, request=request
    )


def collect(outputs: AsyncIterator[Any]) -> list[Any]:
    async def gather() -> list[Any]:
        return [out async for out in outputs]

    return asyncio.run(gather())


def requests(outputs: list[Any]) -> dict[str, Request]:
    return {out.url: out for out in outputs if isinstance(out, Request)}


def test_home_page_leads_to_the_annual_report_column_only(spider: AnnualReportSpider) -> None:
    out = requests(collect(spider.parse_home(saved(spider, HOME, "home.html", home=True))))
    assert list(out) == [COLUMN]
    assert out[COLUMN].callback == spider.parse_list
    (state,) = spider.context.states.values()
    assert state.columns == [COLUMN]


def test_gbk_list_page_yields_reports_and_further_pages_not_lookalikes(
    spider: AnnualReportSpider,
) -> None:
    # The server names no charset; the page's meta tag says gb2312.
    out = requests(collect(spider.parse_list(saved(spider, COLUMN, "trs_list_gbk.html"))))
    articles = {u for u, r in out.items() if r.callback == spider.parse_article}
    assert articles == {
        COLUMN + "202401/t20240115_1001.html",
        COLUMN + "202301/t20230118_901.html",
        COLUMN + "202201/t20220120_801.html",  # a title cut short is judged by its page
    }
    pages = {u for u, r in out.items() if r.callback == spider.parse_list}
    assert pages == {COLUMN + "index_1.html", COLUMN + "index_2.html"}
    assert out[COLUMN + "202301/t20230118_901.html"].meta["year_hint"] == 2022
    (state,) = spider.context.states.values()
    assert state.report_links == 3 and state.list_pages == 1


def test_since_year_leaves_older_reports_and_counts_them(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    spider = spider_for(engine, database_url, tmp_path, since_year=2023)
    out = requests(collect(spider.parse_list(saved(spider, COLUMN, "trs_list_gbk.html"))))
    articles = {u for u, r in out.items() if r.callback == spider.parse_article}
    assert articles == {ARTICLE}  # a title cut short still names its year
    (state,) = spider.context.states.values()
    assert state.older == 2 and state.report_links == 1


def test_article_collects_continuation_and_attachments_into_one_report(
    spider: AnnualReportSpider,
) -> None:
    (first,) = collect(spider.parse_article(saved(spider, ARTICLE, "trs_article.html")))
    assert isinstance(first, Request) and first.url == ARTICLE.replace(".html", "_1.html")
    item: ReportItem = first.meta["item"]
    assert item.title == "青山县2023年政府信息公开工作年度报告"
    assert [d.role for d in item.documents] == ["page"]
    (state,) = spider.context.states.values()
    assert {
        "reason": "attachment on a foreign host not followed",
        "url": "http://files.elsewhere.example.com/2023nb.pdf",
    } in state.failures

    # The continuation page, then each attachment, come back one after the other.
    step = spider.parse_document(
        saved(spider, first.url, b"<html><p>second page</p></html>", **first.meta)
    )
    assert isinstance(step, Request) and step.url == COLUMN + "202401/P020240115123.pdf"
    step = spider.parse_document(
        saved(spider, step.url, b"%PDF-1.7 report", "application/pdf", **step.meta)
    )
    assert isinstance(step, Request) and "downfile.jsp" in step.url
    done = spider.parse_document(
        saved(spider, step.url, b"PK\x03\x04docx", "application/octet-stream", **step.meta)
    )
    assert isinstance(done, ReportItem)
    assert [(d.role, d.url) for d in done.documents] == [
        ("page", ARTICLE),
        ("page", ARTICLE.replace(".html", "_1.html")),
        ("attachment", COLUMN + "202401/P020240115123.pdf"),
        ("attachment", HOME + "module/download/downfile.jsp?classid=0&filename=2401151234.docx"),
    ]
    assert all(d.document.stored for d in done.documents)


def test_a_truncated_attachment_is_left_out_with_its_reason(spider: AnnualReportSpider) -> None:
    (first,) = collect(spider.parse_article(saved(spider, ARTICLE, "trs_article.html")))
    response = saved(spider, first.url, b"<html>2</html>", **first.meta)
    response.meta[FETCHED_META] = FetchedDocument(
        first.url, first.url, 200, "text/html", utcnow(), "http", sha256=None, complete=False
    )
    step = spider.parse_document(response)
    assert isinstance(step, Request)  # the report goes on without the page
    (state,) = spider.context.states.values()
    # The report is stored without it, and the portal says a document is missing.
    assert any(f["reason"].startswith("truncated page") for f in state.coverage_problems())
    assert state.outcome()[0] != "ok"


def test_a_lookalike_article_is_skipped(spider: AnnualReportSpider) -> None:
    url = COLUMN + "202312/t20231201_777.html"
    assert collect(spider.parse_article(saved(spider, url, "guide_article.html"))) == []
    (state,) = spider.context.states.values()
    assert state.skipped == 1 and state.articles == 0


def test_a_report_file_linked_from_the_list_is_a_report_of_its_own(
    spider: AnnualReportSpider,
) -> None:
    url = COLUMN + "P020240115.pdf"
    response = saved(
        spider,
        url,
        b"%PDF-1.7 ...",
        "application/pdf",
        link_text="青山县2023年政府信息公开工作年度报告",
    )
    (item,) = collect(spider.parse_article(response))
    assert isinstance(item, ReportItem)
    assert item.title == "青山县2023年政府信息公开工作年度报告"
    assert [(d.role, d.url) for d in item.documents] == [("attachment", url)]


def test_a_javascript_challenge_is_retried_in_the_browser(spider: AnnualReportSpider) -> None:
    challenge = b"<html><script>document.cookie='x=1';location.reload()</script></html>"
    (retry,) = collect(spider.parse_home(saved(spider, HOME, challenge, status=412, home=True)))
    assert isinstance(retry, Request) and retry.url == HOME and retry.meta["playwright"]
    assert FETCHED_META not in retry.meta  # the plain answer's document is not carried over
    (state,) = spider.context.states.values()
    assert state.portal.needs_browser and state.learnt_browser


def test_a_list_script_of_1e8_pages_is_cut_and_recorded(spider: AnnualReportSpider) -> None:
    html = '<html><body><script>createPageHTML(100000000,0,"index","html");</script></body></html>'
    out = requests(collect(spider.parse_list(saved(spider, COLUMN, html.encode()))))
    pages = [u for u, r in out.items() if r.callback == spider.parse_list]
    assert len(pages) == 499
    (state,) = spider.context.states.values()
    assert state.failures == [
        {
            "reason": "list cut at 500 pages (list-page cap): the page announces 100000000",
            "url": COLUMN,
        }
    ]


def test_an_endless_next_page_chain_stops_at_the_portal_cap(spider: AnnualReportSpider) -> None:
    """Each page of a calendar trap links the next one for ever: the portal asks for at most
    its cap of further list pages, then says once that it cut them."""
    spider.context.max_list_pages = 5
    asked = []
    url = COLUMN + "?page=1"
    for n in range(1, 12):
        html = f'<html><body><a href="?page={n + 1}">下一页</a></body></html>'
        out = requests(collect(spider.parse_list(saved(spider, url, html.encode()))))
        pages = [u for u, r in out.items() if r.callback == spider.parse_list]
        if not pages:
            break
        asked += pages
        url = pages[0]
    assert asked == [COLUMN + f"?page={n}" for n in range(2, 7)]
    (state,) = spider.context.states.values()
    assert [f["reason"] for f in state.failures] == [
        "list pages of the portal cut at 5 (per-portal list-page cap): the lists go on"
    ]

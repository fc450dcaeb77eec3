"""A list script announcing 10⁸ pages never builds more than MAX_LIST_PAGES requests."""

from __future__ import annotations

import time

from spiders.families.base import MAX_LIST_PAGES
from spiders.families.lonsun import walk_lonsun
from spiders.families.trs import walk_trs
from spiders.families.vsb import walk_vsb


def test_trs_createpagehtml_of_1e8_is_capped() -> None:
    started = time.monotonic()
    walk = walk_trs(
        "http://127.0.0.1/col/index.html",
        '<script>createPageHTML(100000000,0,"index","html");</script>',
    )
    assert walk.total == 100_000_000
    assert len(walk.pages) == MAX_LIST_PAGES - 1
    assert time.monotonic() - started < 1.0


def test_lonsun_and_vsb_page_counts_of_1e8_are_capped() -> None:
    lonsun = walk_lonsun("http://127.0.0.1/public/column/1?type=3", "<span>共100000000页</span>")
    assert len(lonsun.pages) == MAX_LIST_PAGES - 1
    vsb = walk_vsb("http://127.0.0.1/col.htm", '<a href="col/100000000.htm">尾页</a>')
    assert len(vsb.pages) <= MAX_LIST_PAGES

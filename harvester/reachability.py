"""Is a portal reachable? `harvester portals check` probes robots.txt and the home page of
each portal with a plain HTTP client (httpx), politely: in parallel across hosts, one
request at a time per host:port with a delay between them, short timeouts.

Results (`CHECK_RESULTS`): ok; moved (the home page redirects to another host: the portal
moved); challenge (a 412/521 answer with a script: an anti-bot challenge, the crawl needs
Chromium); stub (a 200 with almost no text and links); blocked (robots.txt disallows the
home page); http_error (an HTTP error status or a broken answer); dead (DNS failure,
connection refused, no answer within the timeout).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import time
import urllib.robotparser
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import httpx

from harvester.crawl.resolver import is_private_address
from harvester.proxies import mask_proxy
from harvester.scrapy_settings import USER_AGENT
from harvester.storage.types import utcnow

MAX_BODY = 512 * 1024  # bytes of a home page read to classify it
MAX_HOPS = 5  # redirects (HTTP, meta refresh, script location) followed
STUB_TEXT = 60  # a 200 with less visible text than this and …
STUB_LINKS = 3  # … fewer links than this is a stub
CHALLENGE_STATUSES = (412, 521)
VERIFIED = ("ok", "moved", "challenge", "blocked")  # the URL answers as a web site

_META_REFRESH = re.compile(
    rb"""<meta[^>]+http-equiv=["']?refresh["']?[^>]*content=["']?\s*\d*\s*;?\s*url\s*=\s*['"]?([^"'>\s]+)""",
    re.I,
)
_SCRIPT_LOCATION = re.compile(
    rb"""(?:window\.|document\.|self\.|top\.)?location(?:\.href)?\s*=\s*["']([^"']+)["']""", re.I
)
_TAGS = re.compile(
    r"<script.*?</script>|<style.*?</style>|<!--.*?-->|<[^>]+>|&nbsp;|\s+", re.S | re.I
)
_LINKS = re.compile(rb"<a\s[^>]*href", re.I)
_CHARSET = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.I)


@dataclass(frozen=True)
class Target:
    """A portal to probe."""

    portal_id: int
    home_url: str
    proxy: str | None = None  # the effective proxy URL (None: direct)


@dataclass(frozen=True)
class Probe:
    """What a check found for one portal."""

    portal_id: int
    url: str
    result: str
    detail: str
    final_url: str | None
    status: int | None
    checked_at: datetime
    elapsed_ms: int
    proxy: str | None = None  # masked

    @property
    def verified(self) -> bool:
        return self.result in VERIFIED


@dataclass
class HostGate:
    """One request at a time per host:port, at least `delay` seconds apart."""

    delay: float
    locks: dict[str, asyncio.Lock] = field(default_factory=lambda: defaultdict(asyncio.Lock))
    last: dict[str, float] = field(default_factory=dict)

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        key = urlsplit(url).netloc.lower()
        async with self.locks[key]:
            wait = self.last.get(key, 0.0) + self.delay - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self.last[key] = time.monotonic()


@dataclass
class Answer:
    url: str
    status: int
    headers: httpx.Headers
    body: bytes


class Refused(Exception):
    """A redirect the check does not follow (a private address outside the registry)."""


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _site(url: str) -> str:
    """host[:port] without a leading www. and the scheme's default port: a move changes it."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    host = host[4:] if host.startswith("www.") else host
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


def text_of(body: bytes, content_type: str = "") -> str:
    """The body as text: the declared charset, else UTF-8, else GB18030."""
    declared = _CHARSET.search(content_type.encode("latin-1", "replace")) or _CHARSET.search(
        body[:4096]
    )
    candidates = [declared.group(1).decode("ascii", "replace")] if declared else []
    for encoding in [*candidates, "utf-8", "gb18030"]:
        try:
            return body.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("utf-8", "replace")


def visible_text(body: bytes, content_type: str = "") -> str:
    return _TAGS.sub("", text_of(body, content_type))


def dead_reason(exc: Exception, timeout: float) -> str:
    """Why a host did not answer, in an operator's words."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 8:
        chain.append(current)
        current = current.__cause__ or current.__context__
    text = " ".join(f"{e!r} {e}" for e in chain).lower()
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "connection refused"
    if any(isinstance(e, socket.gaierror) for e in chain):
        return "DNS lookup failed (no such host)"
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer within {timeout:g} s ({type(exc).__name__})"
    if any(
        s in text
        for s in (
            "name or service not known",
            "nodename nor servname",
            "getaddrinfo",
            "no address associated",
            "name resolution",
            "gaierror",
        )
    ):
        return "DNS lookup failed (no such host)"
    if "refused" in text:
        return "connection refused"
    if "unreachable" in text:
        return "network unreachable"
    return f"cannot connect: {type(exc).__name__}: {exc}"[:300]


class Checker:
    """Probes targets with one httpx client per proxy, sharing one host gate."""

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        delay: float = 1.0,
        concurrency: int = 16,
        allowed_private_hosts: Iterable[str] = (),
    ) -> None:
        self.timeout = timeout
        self.gate = HostGate(delay)
        self.concurrency = max(1, concurrency)
        self.allowed_private = {h.lower() for h in allowed_private_hosts}
        self.clients: dict[str | None, httpx.AsyncClient] = {}

    def _client(self, proxy: str | None) -> httpx.AsyncClient:
        if proxy not in self.clients:
            self.clients[proxy] = httpx.AsyncClient(
                proxy=proxy,
                trust_env=False,
                verify=False,  # as the crawl: many portals have broken certificates
                timeout=httpx.Timeout(self.timeout),
                headers={"User-Agent": USER_AGENT, "Accept-Language": "zh-CN,zh;q=0.9"},
                follow_redirects=False,
            )
        return self.clients[proxy]

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()

    async def run(self, targets: list[Target]) -> AsyncIterator[Probe]:
        """Probe every target; yields each result as it is known."""
        semaphore = asyncio.Semaphore(self.concurrency)

        async def one(target: Target) -> Probe:
            async with semaphore:
                return await self.probe(target)

        tasks = [asyncio.ensure_future(one(t)) for t in targets]
        try:
            for done in asyncio.as_completed(tasks):
                yield await done
        finally:
            for task in tasks:
                task.cancel()
            await self.close()

    async def _get(self, client: httpx.AsyncClient, url: str) -> Answer:
        await self._guard(url)
        async with self.gate.slot(url), client.stream("GET", url) as response:
            body = bytearray()
            async for chunk in response.aiter_bytes():  # decoded (gzip, deflate, br)
                body += chunk
                if len(body) >= MAX_BODY:
                    break
            raw = bytes(body)
            return Answer(str(response.url), response.status_code, response.headers, raw)

    async def _guard(self, url: str) -> None:
        host = _host(url)
        if host in self.allowed_private:
            return
        try:
            addresses = [ipaddress.ip_address(host).compressed]
        except ValueError:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, None)
            except OSError:
                return  # the request itself reports the DNS failure
            addresses = [str(info[4][0]) for info in infos]
        for address in addresses:
            if is_private_address(address):
                raise Refused(f"{host} is the private address {address}, not a registry host")

    async def probe(self, target: Target) -> Probe:
        started = time.monotonic()
        checked_at = utcnow()
        client = self._client(target.proxy)

        def probe_(
            result: str, detail: str, final: str | None = None, status: int | None = None
        ) -> Probe:
            return Probe(
                target.portal_id,
                target.home_url,
                result,
                detail,
                final,
                status,
                checked_at,
                int((time.monotonic() - started) * 1000),
                mask_proxy(target.proxy),
            )

        via = f" via {mask_proxy(target.proxy)}" if target.proxy else ""
        robots_url = urljoin(target.home_url, "/robots.txt")
        try:
            robots = await self._get(client, robots_url)
        except (httpx.ConnectError, httpx.TimeoutException) as exc:
            return probe_("dead", dead_reason(exc, self.timeout) + via)
        except (httpx.HTTPError, Refused) as exc:
            robots = None
            robots_note = f"robots.txt unreadable ({type(exc).__name__})"
        else:
            robots_note = ""
            if robots.status == 200:
                parser = urllib.robotparser.RobotFileParser()
                parser.parse(text_of(robots.body).splitlines())
                if not parser.can_fetch(USER_AGENT, target.home_url):
                    return probe_(
                        "blocked", f"robots.txt disallows {target.home_url}", target.home_url, 200
                    )
        url = target.home_url
        hops: list[str] = []
        try:
            while True:
                answer = await self._get(client, url)
                location = self._next_hop(answer)
                if location is None or len(hops) >= MAX_HOPS:
                    break
                hops.append(url)
                url = urljoin(answer.url, location)
        except (httpx.ConnectError, httpx.TimeoutException) as exc:
            where = f" (after redirects to {url})" if hops else ""
            return probe_("dead", dead_reason(exc, self.timeout) + where + via, url)
        except Refused as exc:
            return probe_("http_error", f"redirect not followed: {exc}", url)
        except httpx.HTTPError as exc:
            return probe_("http_error", f"broken answer: {type(exc).__name__}: {exc}"[:300], url)
        moved = _site(answer.url) != _site(target.home_url)
        move_note = f"moved to {answer.url}; " if moved else ""
        content_type = answer.headers.get("content-type", "")
        if answer.status in CHALLENGE_STATUSES and b"<script" in answer.body.lower():
            return probe_(
                "challenge",
                f"{move_note}HTTP {answer.status} with a script: an anti-bot challenge (needs the browser)",
                answer.url,
                answer.status,
            )
        if answer.status >= 400 or answer.status < 200:
            return probe_(
                "http_error", f"{move_note}HTTP {answer.status}", answer.url, answer.status
            )
        if 300 <= answer.status < 400:
            return probe_(
                "http_error", f"more than {MAX_HOPS} redirects", answer.url, answer.status
            )
        text = visible_text(answer.body, content_type)
        links = len(_LINKS.findall(answer.body))
        if len(text) < STUB_TEXT and links < STUB_LINKS:
            return probe_(
                "stub",
                f"{move_note}HTTP {answer.status} with almost no content ({len(text)} characters of text, {links} links)",
                answer.url,
                answer.status,
            )
        detail = f"HTTP {answer.status}, {len(text)} characters of text, {links} links"
        if robots_note:
            detail += f"; {robots_note}"
        elif robots is not None and robots.status != 200:
            detail += f"; robots.txt HTTP {robots.status}"
        if moved:
            return probe_("moved", f"moved to {answer.url}: {detail}", answer.url, answer.status)
        return probe_("ok", detail, answer.url, answer.status)

    @staticmethod
    def _next_hop(answer: Answer) -> str | None:
        """Where a redirect (HTTP, meta refresh, or a tiny page that only sets location) leads."""
        if answer.status in (301, 302, 303, 307, 308):
            return answer.headers.get("location") or None
        if answer.status != 200 or len(answer.body) > 4096:
            return None
        for pattern in (_META_REFRESH, _SCRIPT_LOCATION):
            found = pattern.search(answer.body)
            if found:
                return found.group(1).decode("latin-1").strip()
        return None

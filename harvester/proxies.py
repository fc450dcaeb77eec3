"""Proxies as a vantage point: which proxy carries a portal's requests, and how a proxy is
named wherever it is shown or recorded (never with its credentials).

A crawl has at most one global proxy (`--proxy URL` or `$HARVESTER_PROXY`); a portal may
name its own in the registry (`harvester portals set NAME --proxy URL`), or "direct" to go
without the global one. The registry (which exports and the web view show) never holds
credentials: a proxy that needs them is given there as `env:NAME`, the URL being in the
environment variable NAME of each machine that crawls. Plain fetches go through Scrapy's HttpProxyMiddleware
(`middlewares/proxies.py` sets `request.meta["proxy"]`), Chromium through a browser context
with Playwright's `proxy` option. HTTP and HTTPS proxies only: Scrapy's downloader speaks
no SOCKS; put an HTTP front (privoxy, gost) before a SOCKS tunnel.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import unquote, urlsplit

PROXY_ENV = "HARVESTER_PROXY"
DIRECT = "direct"  # a portal's proxy field: no proxy, even when a global one is set
ENV_PREFIX = "env:"  # a portal's proxy field: the URL is in this environment variable
SCHEMES = ("http", "https")
PROXY_META = "harvester_proxy"  # request meta: the name of the proxy carrying the request


class ProxyError(ValueError):
    """A proxy URL harvester cannot use."""


def check_proxy(url: str, option: str = "--proxy") -> str:
    """`url` when it is a usable proxy URL (or "direct"); ProxyError saying why not."""
    url = url.strip()
    if url == DIRECT:
        return url
    parts = urlsplit(url)
    if parts.scheme.startswith("socks"):
        raise ProxyError(
            f"{option}: SOCKS proxies are not supported (Scrapy's downloader speaks HTTP "
            f"proxies only); put an HTTP proxy in front of it, got {mask_proxy(url)!r}"
        )
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ProxyError(
            f"{option} must be http://[user:password@]host:port (or https://…), "
            f"got {mask_proxy(url)!r}"
        )
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ProxyError(f"{option} has a bad port: {mask_proxy(url)!r}") from None
    return url


def check_registry_proxy(value: str) -> str:
    """A portal's proxy field: "direct", `env:NAME`, or a URL without credentials."""
    value = value.strip()
    if value.startswith(ENV_PREFIX):
        if not value[len(ENV_PREFIX) :].strip():
            raise ProxyError("--proxy env:NAME needs the variable's name")
        return value
    check_proxy(value)
    if "@" in urlsplit(value).netloc:
        raise ProxyError(
            "--proxy: the registry keeps no credentials (exports and the web view show it); "
            "put the URL in an environment variable and give --proxy env:NAME"
        )
    return value


def resolve_registry_proxy(value: str) -> str:
    """The proxy URL a portal's field names (reads `env:NAME`); ProxyError when unset."""
    if not value.startswith(ENV_PREFIX):
        return value
    name = value[len(ENV_PREFIX) :].strip()
    url = os.environ.get(name, "").strip()
    if not url:
        raise ProxyError(f"a portal's proxy is env:{name}, but ${name} is not set")
    return check_proxy(url, f"${name}")


def global_proxy(override: str | None = None) -> str | None:
    """`--proxy`, else `$HARVESTER_PROXY`, else None (checked)."""
    raw = override if override else os.environ.get(PROXY_ENV, "")
    return check_proxy(raw, "--proxy" if override else f"${PROXY_ENV}") if raw.strip() else None


def effective(portal_proxy: str | None, global_url: str | None) -> str | None:
    """The proxy URL a portal's requests go through: its own, none ("direct"), or the global one."""
    if portal_proxy and portal_proxy.strip():
        value = portal_proxy.strip()
        return None if value == DIRECT else resolve_registry_proxy(value)
    return global_url


def proxy_name(url: str | None) -> str | None:
    """scheme://host:port of a proxy: how fetch rows and logs name it."""
    if not url or url == DIRECT:
        return None
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def mask_proxy(url: str | None) -> str | None:
    """The proxy URL for display: credentials replaced by *** (None, "direct", env:NAME as given)."""
    if not url or url == DIRECT or url.startswith(ENV_PREFIX):
        return url
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    name = proxy_name(url) or url
    scheme, rest = name.split("://", 1)
    return f"{scheme}://***@{rest}"


def playwright_proxy(url: str) -> dict[str, Any]:
    """Playwright's `proxy` option for a proxy URL. `<-loopback>` removes Chromium's implicit
    bypass of localhost, so every request of the page goes through the proxy."""
    parts = urlsplit(url)
    option: dict[str, Any] = {"server": proxy_name(url), "bypass": "<-loopback>"}
    if parts.username:
        option["username"] = unquote(parts.username)
        option["password"] = unquote(parts.password or "")
    return option

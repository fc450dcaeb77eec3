"""Per-host politeness shared by every worker of a distributed run, held in Redis.

Each host:port has two keys under the run's prefix (`harvester:run<N>:polite`):
`<prefix>:<host:port>:leases`, a sorted set of the leases held now (member: a random token,
score: when it expires, in Redis server milliseconds), and `<prefix>:<host:port>:pace`, a
hash with the last start (`last`) and the earliest next start its holder asked for
(`next`). A request may start when fewer than `limit` leases are held and the Redis clock
has passed both `last + delay` (the asker's delay) and `next` (the last starter's delay),
so consecutive starts to one host, by any worker, are at least the larger of the two
delays apart. The check and the grant are one Lua script, atomic in Redis, and use the
Redis server's clock, so workers on machines whose clocks differ still agree.

A lease is returned when its request ends (response, exception, ignored). One that is not
returned (its worker killed) expires after `ttl` seconds; a live worker renews the leases
it holds every `ttl / 3` seconds, so a slow download keeps its lease.

Keys and tokens carry no secret: a host:port and random hex.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

# KEYS: leases, pace. ARGV: token, limit, delay ms (the asker's), gap ms (after this start),
# ttl ms. Returns 0 when granted, -1 when `limit` leases are held, else the milliseconds to
# wait before the next start is allowed.
ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return -1
end
local ready = now
local last = tonumber(redis.call('HGET', KEYS[2], 'last'))
if last then ready = math.max(ready, last + tonumber(ARGV[3])) end
local nxt = tonumber(redis.call('HGET', KEYS[2], 'next'))
if nxt then ready = math.max(ready, nxt) end
if ready > now then
  return math.ceil(ready - now)
end
local gap = tonumber(ARGV[4])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], 2 * ttl)
redis.call('HSET', KEYS[2], 'last', now, 'next', now + gap)
redis.call('PEXPIRE', KEYS[2], ttl + gap)
return 0
"""

# KEYS: leases, pace. ARGV: token, gap ms, ttl ms. Moves the last start to now (and the next
# allowed start to now + gap) if the lease is still held and now is later: the grant's
# moment may precede the request's real start by however long the worker's event loop was
# busy before it read the answer.
STAMP = """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local gap = tonumber(ARGV[2])
local last = tonumber(redis.call('HGET', KEYS[2], 'last')) or now
local nxt = tonumber(redis.call('HGET', KEYS[2], 'next')) or now
redis.call('HSET', KEYS[2], 'last', math.max(last, now), 'next', math.max(nxt, now + gap))
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[3]) + gap)
return 1
"""

# KEYS: leases. ARGV: ttl ms, tokens. Pushes the expiry of the tokens still held.
RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], 2 * ttl)
return 0
"""

FULL = -1


def host_key(url: str) -> str:
    """The politeness unit of a URL: host:port (the default port spelt out), lower case,
    without any user:password the URL may carry."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower(), 0)
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return f"{host}:{port}"


@dataclass(frozen=True)
class Lease:
    host: str
    token: str


class SharedPace:
    """Leases per host over one Redis server (redis.asyncio client), for one run."""

    def __init__(self, server: Any, prefix: str, ttl: float) -> None:
        self.server = server
        self.prefix = prefix
        self.ttl_ms = max(1, round(ttl * 1000))
        self._acquire = server.register_script(ACQUIRE)
        self._renew = server.register_script(RENEW)
        self._stamp = server.register_script(STAMP)

    def keys(self, host: str) -> tuple[str, str]:
        return f"{self.prefix}:{host}:leases", f"{self.prefix}:{host}:pace"

    async def try_acquire(self, host: str, limit: int, delay: float, gap: float) -> Lease | int:
        """A lease on `host`, or what to wait: FULL, or milliseconds until a start is allowed."""
        token = uuid.uuid4().hex
        answer = int(
            await self._acquire(
                keys=list(self.keys(host)),
                args=[token, limit, round(delay * 1000), round(gap * 1000), self.ttl_ms],
            )
        )
        return Lease(host, token) if answer == 0 else answer

    async def stamp(self, lease: Lease, gap: float) -> None:
        """Note the request's real start (called as it is sent), later than its grant when
        the worker was busy."""
        await self._stamp(
            keys=list(self.keys(lease.host)), args=[lease.token, round(gap * 1000), self.ttl_ms]
        )

    async def release(self, lease: Lease) -> None:
        await self.server.zrem(self.keys(lease.host)[0], lease.token)

    async def renew(self, leases: list[Lease]) -> None:
        by_host: dict[str, list[str]] = {}
        for lease in leases:
            by_host.setdefault(lease.host, []).append(lease.token)
        for host, tokens in by_host.items():
            await self._renew(keys=[self.keys(host)[0]], args=[self.ttl_ms, *tokens])

"""On-demand faults of the local portal world, chosen per path.

A fault is named by a spec string ``name[:arg[:arg]]``:

=====================  ====================================================================
spec                   what the server does
=====================  ====================================================================
``status:503:2``       the first 2 requests of the path answer HTTP 503 (any code; default
                       503, 2), later ones answer normally — a 5xx burst
``429:3:1``            the first 1 request answers 429 with ``Retry-After: 3`` (seconds;
                       defaults 1 and 1), later ones answer normally
``timeout:5``          every answer waits 5 s before it starts (default 30 s); ``timeout:5:1``
                       only delays the first request
``reset``              the connection is reset (TCP RST) without an answer; ``reset:2`` only
                       for the first 2 requests
``truncate``           ``Content-Length`` announces the whole body but only half of it is
                       sent, then the connection closes; ``truncate:1`` only the first time
``redirect-loop``      302 to the same URL with ``__hop`` toggled: an endless redirect loop
=====================  ====================================================================

How to switch one on (both may be combined; the query wins):

* in the URL: ``?__fault=<spec>`` on any path (the parameter is removed before the path
  is looked up, so ``/files/a.pdf?__fault=truncate`` serves ``/files/a.pdf`` truncated);
* as a world option: ``start_world(faults={"/zwgk/zfxxgknb/index.html": "status:503:2"})``
  applies to that path on every portal, ``World.set_fault(portal, path, spec)`` to one
  portal (``portal`` is its index, county name or home URL); ``World.clear_faults()``
  removes them and resets the counters. A path ending in ``*`` matches by prefix. Paths
  are matched with their query (parameters sorted), e.g. ``/public/column/1?type=3``.

Counts ("the first N requests") are kept per portal, path and spec; ``World.hits(portal,
path)`` says how often a path was asked for (useful to check retries).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

FAULT_PARAM = "__fault"
HOP_PARAM = "__hop"
KINDS = ("status", "429", "timeout", "reset", "truncate", "redirect-loop")


@dataclass(frozen=True)
class Fault:
    kind: str
    code: int = 503
    seconds: float = 0.0
    times: int | None = None  # None: every request

    def applies(self, count: int) -> bool:
        """Whether the fault applies to the path's `count`-th request (1-based)."""
        return self.times is None or count <= self.times


def parse_fault(spec: str) -> Fault:
    """A Fault from its spec string; ValueError names what is wrong."""
    parts = [p.strip() for p in spec.strip().split(":")]
    kind, args = parts[0].lower(), parts[1:]
    try:
        nums = [float(a) for a in args if a != ""]
    except ValueError as exc:
        raise ValueError(f"fault {spec!r}: arguments must be numbers") from exc
    if kind == "status":
        code = int(nums[0]) if nums else 503
        return Fault("status", code=code, times=int(nums[1]) if len(nums) > 1 else 2)
    if kind == "429":
        return Fault(
            "429",
            code=429,
            seconds=nums[0] if nums else 1.0,
            times=int(nums[1]) if len(nums) > 1 else 1,
        )
    if kind == "timeout":
        return Fault(
            "timeout",
            seconds=nums[0] if nums else 30.0,
            times=int(nums[1]) if len(nums) > 1 else None,
        )
    if kind in ("reset", "truncate"):
        return Fault(kind, times=int(nums[0]) if nums else None)
    if kind == "redirect-loop":
        return Fault("redirect-loop")
    raise ValueError(f"unknown fault {spec!r}: expected one of {', '.join(KINDS)}")


class FaultTable:
    """Faults chosen for paths of one portal, and per-path request counters."""

    def __init__(self, faults: dict[str, str] | None = None) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = {}
        self._counts: dict[tuple[str, str], int] = {}
        self._hits: dict[str, int] = {}
        for path, spec in (faults or {}).items():
            self.set(path, spec)

    def set(self, path: str, spec: str | None) -> None:
        with self._lock:
            if spec is None:
                self._faults.pop(path, None)
            else:
                self._faults[path] = parse_fault(spec)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._counts.clear()
            self._hits.clear()

    def hit(self, key: str) -> int:
        """Count a request of `key`; how many there were so far."""
        with self._lock:
            self._hits[key] = self._hits.get(key, 0) + 1
            return self._hits[key]

    def hits(self, key: str) -> int:
        with self._lock:
            return self._hits.get(key, 0)

    def lookup(self, key: str, query_spec: str | None) -> tuple[Fault | None, int]:
        """The fault for a request of `key` (route key), and its count under that fault."""
        fault: Fault | None = None
        spec_id = ""
        if query_spec:
            fault, spec_id = parse_fault(query_spec), "q:" + query_spec
        else:
            with self._lock:
                for pattern, candidate in self._faults.items():
                    if pattern == key or (pattern.endswith("*") and key.startswith(pattern[:-1])):
                        fault, spec_id = candidate, "t:" + pattern
                        break
        if fault is None:
            return None, 0
        with self._lock:
            counter = (key, spec_id)
            self._counts[counter] = self._counts.get(counter, 0) + 1
            return fault, self._counts[counter]

"""A lecturer's run shared read-only: one training, any number of viewers.

A page shares a run it already shows live, its source: a Watch it learn session (its ring
holds the newest packets, aae_core/watch/session.py) or a Train run's share from the tab
that started it (ui/train_share.py). A Broadcast only gives the source a token for a link,
says which page shows it (KINDS) and counts who watches; a viewer reads what the source
already has and sends it on: the training runs once however many watch, and a viewer costs
the server what it is sent, never a model step. A source says when it `closed` (the
lecturer's tab went); its broadcast ends then. Bounded: at most MAX_BROADCASTS shared runs
on the server, MAX_VIEWERS viewers each (docs/ARCHITECTURE.md, "The lecturer's
broadcast").
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

from aae_core.errors import ConfigError

MAX_BROADCASTS = 4  # shared runs at once, of both pages (each one a live run)
#: The pages a run is shared from: each opens only its own links.
KINDS = {"watch": "Watch it learn", "train": "Train"}
MAX_VIEWERS = 150  # viewers of one shared run
#: How often a viewer asks for what is new, by how many watch: (up to this many viewers,
#: seconds). A viewer's ask is a script run of its own, most of what a viewer costs the
#: server, so a full room asks less often; each answer carries everything since the last
#: (the browser plays it over the next interval), so its lag at receipt stays the server's
#: answer time (bench/load_test.py --mode broadcast).
VIEW_PERIODS_S = ((30, 1.0), (80, 1.25), (MAX_VIEWERS, 1.5))
PERIOD_HYSTERESIS = 5  # viewers past a step before the interval goes back down


def view_period_s(viewers: int, current: float | None = None) -> float:
    """A viewer's interval for `viewers` watching; from `current`, it shortens only once
    the count is PERIOD_HYSTERESIS below a step (viewers coming and going at a step
    would otherwise switch every viewer back and forth)."""
    def at(n: int) -> float:
        return next((s for most, s in VIEW_PERIODS_S if n <= most), VIEW_PERIODS_S[-1][1])

    wanted = at(viewers)
    if current is not None and wanted < current:
        return max(at(viewers + PERIOD_HYSTERESIS), wanted)
    return wanted


class Source(Protocol):
    """What a page shares: closed once the lecturer's tab went (or it stopped)."""

    @property
    def closed(self) -> bool: ...


@dataclass
class Broadcast:
    token: str
    source: Source
    kind: str  # the page that shows it (KINDS)
    started: float = field(default_factory=time.time)
    viewers: set[str] = field(default_factory=set)

    @property
    def live(self) -> bool:
        """False once the source has closed (the lecturer's tab went)."""
        return not self.source.closed


class BroadcastRegistry:
    """The shared runs of one server process, by token (thread-safe)."""

    def __init__(self, max_broadcasts: int = MAX_BROADCASTS, max_viewers: int = MAX_VIEWERS):
        self.max_broadcasts, self.max_viewers = max_broadcasts, max_viewers
        self._lock = threading.Lock()
        self._by_token: dict[str, Broadcast] = {}

    def _prune(self) -> None:  # caller holds the lock
        for token in [t for t, b in self._by_token.items() if not b.live]:
            del self._by_token[token]

    def share(self, source: Source, kind: str) -> Broadcast:
        """The broadcast of `source`, shown on the `kind` page (made on the first call)."""
        if kind not in KINDS:
            raise ConfigError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
        with self._lock:
            self._prune()
            for b in self._by_token.values():
                if b.source is source:
                    return b
            if len(self._by_token) >= self.max_broadcasts:
                raise ConfigError(f"{self.max_broadcasts} runs are already shared on this "
                                  "server, the most it shares at once; stop sharing one "
                                  "first")
            token = secrets.token_urlsafe(9)
            self._by_token[token] = b = Broadcast(token, source, kind)
            return b

    def stop(self, source: Source) -> None:
        """Stop sharing `source` (its viewers are told the run is no longer shared)."""
        with self._lock:
            for token in [t for t, b in self._by_token.items() if b.source is source]:
                del self._by_token[token]

    def of(self, source: Source) -> Broadcast | None:
        with self._lock:
            return next((b for b in self._by_token.values()
                         if b.source is source and b.live), None)

    def join(self, token: str, viewer: str, kind: str) -> Broadcast:
        """Count `viewer` in on the run shared as `token` on the `kind` page; ConfigError
        (one plain line) when that run is not shared (any more), is another page's or has
        its most viewers."""
        with self._lock:
            self._prune()
            b = self._by_token.get(token)
            if b is None:
                raise ConfigError("This link's run is not shared any more: the lecturer "
                                  "stopped sharing it, or closed the tab")
            if b.kind != kind:
                raise ConfigError(f"This link is of a run shared on the {KINDS[b.kind]} "
                                  "page: open the link as the lecturer gave it")
            if viewer not in b.viewers and len(b.viewers) >= self.max_viewers:
                raise ConfigError(f"This shared run already has {self.max_viewers} viewers, "
                                  "the most one run serves")
            b.viewers.add(viewer)
            return b

    def leave(self, token: str, viewer: str) -> None:
        with self._lock:
            if (b := self._by_token.get(token)) is not None:
                b.viewers.discard(viewer)

    def count(self) -> int:
        with self._lock:
            self._prune()
            return len(self._by_token)


REGISTRY = BroadcastRegistry()

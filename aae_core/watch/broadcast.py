"""A lecturer's Watch it learn run, shared read-only: one training, any number of viewers.

The lecturer's WatchSession already keeps its newest packets in a ring (session.py); a
Broadcast only gives that session a token for a link and counts who watches. A viewer
reads the packets it has not seen (`WatchSession.packets_after`) and sends them on: the
training runs once however many watch, and a viewer costs the server the packets it is
sent, never a model step. Bounded: at most MAX_BROADCASTS shared runs, MAX_VIEWERS viewers
each (docs/ARCHITECTURE.md, "The lecturer's broadcast").
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from aae_core.errors import ConfigError
from aae_core.watch.session import WatchSession

MAX_BROADCASTS = 4  # shared runs at once (each one a live session, which holds a training place)
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


@dataclass
class Broadcast:
    token: str
    session: WatchSession
    started: float = field(default_factory=time.time)
    viewers: set[str] = field(default_factory=set)

    @property
    def live(self) -> bool:
        """False once the lecturer's session has closed (the tab went)."""
        return not self.session.closed


class BroadcastRegistry:
    """The shared runs of one server process, by token (thread-safe)."""

    def __init__(self, max_broadcasts: int = MAX_BROADCASTS, max_viewers: int = MAX_VIEWERS):
        self.max_broadcasts, self.max_viewers = max_broadcasts, max_viewers
        self._lock = threading.Lock()
        self._by_token: dict[str, Broadcast] = {}

    def _prune(self) -> None:  # caller holds the lock
        for token in [t for t, b in self._by_token.items() if not b.live]:
            del self._by_token[token]

    def share(self, session: WatchSession) -> Broadcast:
        """The broadcast of `session` (made on the first call)."""
        with self._lock:
            self._prune()
            for b in self._by_token.values():
                if b.session is session:
                    return b
            if len(self._by_token) >= self.max_broadcasts:
                raise ConfigError(f"{self.max_broadcasts} runs are already shared on this "
                                  "server, the most it shares at once; stop sharing one "
                                  "first")
            token = secrets.token_urlsafe(9)
            self._by_token[token] = b = Broadcast(token, session)
            return b

    def stop(self, session: WatchSession) -> None:
        """Stop sharing `session` (its viewers are told the run is no longer shared)."""
        with self._lock:
            for token in [t for t, b in self._by_token.items() if b.session is session]:
                del self._by_token[token]

    def of(self, session: WatchSession) -> Broadcast | None:
        with self._lock:
            return next((b for b in self._by_token.values()
                         if b.session is session and b.live), None)

    def join(self, token: str, viewer: str) -> Broadcast:
        """Count `viewer` in on the run shared as `token`; ConfigError (one plain line)
        when that run is not shared (any more) or has its most viewers."""
        with self._lock:
            self._prune()
            b = self._by_token.get(token)
            if b is None:
                raise ConfigError("This link's run is not shared any more: the lecturer "
                                  "stopped sharing it, or closed the tab")
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

"""Logging bad frames once per kind, for the market and user-data workers.

A bad frame is counted in the Store (the health bar shows the count) and never ends a session.
The log gets the first frame of each kind (``BadFrame.category``: ``"b: bad decimal"``,
``"invalid JSON"``, ``"control reply id"``), with its reason: enough to see what is wrong,
while a flood of garbage, which can vary from frame to frame without end, is a handful of
lines. Kinds are the parsers' own constants and field names, so they are few; a bound keeps
even a parser bug from turning this set into a leak.
"""

from __future__ import annotations

import logging

from tuimon.protocol.models import BadFrame

MAX_KINDS = 256
"""Distinct kinds logged per worker; past this, one last line says further kinds are not."""


class BadFrameLog:
    """Which kinds of bad frame one worker has logged, and how many bad frames it saw."""

    __slots__ = ("_full", "_kinds", "_log", "count")

    def __init__(self, log: logging.Logger) -> None:
        self._log = log
        self._kinds: set[str] = set()
        self._full = False
        self.count = 0

    @property
    def kinds(self) -> frozenset[str]:
        """The kinds logged so far."""
        return frozenset(self._kinds)

    def note(self, where: str, frame: BadFrame) -> bool:
        """Count one bad frame; log it if it is the first of its kind. True when logged."""
        self.count += 1
        kind = frame.category
        if kind in self._kinds:
            return False
        if len(self._kinds) >= MAX_KINDS:
            if not self._full:
                self._full = True
                self._log.warning("%s: more kinds of bad frame; not logging new ones", where)
            return False
        self._kinds.add(kind)
        self._log.warning(
            "%s: bad frame (%s; logged once per kind, counted in the health bar): %s",
            where,
            kind,
            frame.reason,
        )
        return True

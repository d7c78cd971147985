"""Shared market state (plain data, change tracking); no I/O, no Textual."""

from tuimon.store.store import Store

__all__ = ["Store"]

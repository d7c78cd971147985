"""The terminal driver: Textual's own for the platform, each write made smaller by
:class:`~tuimon.ui.sgr.SgrCompactor` (same cells, same attributes, fewer escape bytes), and
counted, so the monitor can show its own output rate."""

from __future__ import annotations

from textual.driver import Driver

from tuimon.ui.sgr import SgrCompactor


class OutputMeter:
    """Bytes written to the terminal so far (read by the health bar's rate)."""

    __slots__ = ("bytes",)

    def __init__(self) -> None:
        self.bytes = 0


def compacting(base: type[Driver], meter: OutputMeter | None = None) -> type[Driver]:
    """A subclass of ``base`` whose writes go through one :class:`SgrCompactor`."""
    compactor = SgrCompactor()

    class CompactingDriver(base):  # type: ignore[valid-type,misc]
        def write(self, data: str) -> None:
            data = compactor.compact(data)
            if meter is not None:
                # Characters, not encoded bytes: close enough for a rate (the screen is mostly
                # ASCII) without encoding every frame twice.
                meter.bytes += len(data)
            super().write(data)

    CompactingDriver.__name__ = CompactingDriver.__qualname__ = f"Compacting{base.__name__}"
    return CompactingDriver

"""Which machine a benchmark ran on: figures mean little without it."""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

from tuimon import __version__


@dataclass(frozen=True, slots=True)
class Machine:
    """The facts a reader needs to compare figures: CPU, cores, Python, tuimon, load."""

    cpu: str
    cores: int
    """Cores this process may run on (the affinity mask), not the host's count."""
    python: str
    system: str
    tuimon: str
    load_average: tuple[float, float, float]
    """1, 5 and 15 minute load averages when the run started (a busy machine skews CPU %)."""

    def line(self) -> str:
        """One line for the table's heading."""
        load = " ".join(f"{x:.2f}" for x in self.load_average)
        return (
            f"{self.cpu}, {self.cores} core{'s' if self.cores != 1 else ''}, "
            f"Python {self.python}, {self.system}, tuimon {self.tuimon}, "
            f"load average {load} at start"
        )


def cpu_model(cpuinfo: str) -> str:
    """The CPU's name from ``/proc/cpuinfo`` text ("model name", or an ARM "Hardware")."""
    for key in ("model name", "Hardware", "Processor", "cpu model"):
        for line in cpuinfo.splitlines():
            name, sep, value = line.partition(":")
            if sep and name.strip() == key and value.strip():
                return " ".join(value.split())
    return ""


def this_machine() -> Machine:
    """Facts about the machine running now."""
    try:
        cpu = cpu_model(Path("/proc/cpuinfo").read_text(errors="replace"))
    except OSError:
        cpu = ""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()
    except (AttributeError, OSError):
        load = (0.0, 0.0, 0.0)
    version = ".".join(str(x) for x in sys.version_info[:3])
    return Machine(
        cpu=cpu or platform.processor() or platform.machine() or "unknown CPU",
        cores=cores,
        python=f"{version} ({platform.python_implementation()})",
        system=f"{platform.system()} {platform.release()} {platform.machine()}".strip(),
        tuimon=__version__,
        load_average=(round(load[0], 2), round(load[1], 2), round(load[2], 2)),
    )

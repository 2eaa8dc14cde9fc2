"""What every benchmark shares: the output directory, machine facts, percentiles.

Kept free of heavy imports so that the processes a benchmark times (``--pipeline``
drivers) do not pay for the generator's vocabulary or for engines they do not use.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

__all__ = ["OUT", "machine", "percentile"]

#: Cached corpora, indexes and JSON results (git-ignored).
OUT = Path(__file__).resolve().parent / "out"


def machine() -> dict[str, Any]:
    """nproc, CPU model, Python and OS: recorded with every result."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": model or platform.processor(),
        "python": platform.python_version(),
        "os": platform.platform(),
    }


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (``pct`` in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]

"""How long `deskbot --help` takes, start to exit (target: under 300 ms).

    .venv/bin/python -m bench.help_time

Runs the installed console script ROUNDS times and prints the median and the best.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

DESKBOT = str(Path(sys.executable).parent / "deskbot")
ROUNDS = 10


def main() -> None:
    subprocess.run([DESKBOT, "--help"], capture_output=True, check=True)  # warm the caches
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        subprocess.run([DESKBOT, "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    print(
        f"deskbot --help: median {statistics.median(times) * 1000:.0f} ms, "
        f"best {min(times) * 1000:.0f} ms ({ROUNDS} runs)"
    )


if __name__ == "__main__":
    main()

"""Run every benchmark in this folder, one process each, passing arguments through.

Usage: ``python benchmarks/run_all.py [--quick]`` (``make bench``). Each ``bench_*.py`` (access,
demand, e2e: the whole worker-station study, locate, maps, routes) prints its
own table (our figures, the baselines measured in the same run, and the ratios).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    """Run the benchmarks and return the number that failed."""
    here = Path(__file__).resolve().parent
    failed = 0
    for script in sorted(here.glob("bench_*.py")):
        print(f"\n=== {script.name} {' '.join(sys.argv[1:])}", flush=True)
        done = subprocess.run([sys.executable, str(script), *sys.argv[1:]], check=False)
        if done.returncode != 0:
            print(f"!!! {script.name} exited with {done.returncode}", flush=True)
            failed += 1
    return failed


if __name__ == "__main__":
    sys.exit(main())

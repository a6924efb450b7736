"""Run every benchmark in bench/ at its small size (seconds each) and print each one's last line: a benchmark
nobody runs rots (bench/weights.py broke unnoticed when items gained a NOT NULL column), so CI runs them all.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crowdlabel_bench .venv/bin/python scripts/run_benches.py \
        [--create-database] [NAME ...]

--create-database: create DATABASE_URL's PostgreSQL database first when it is missing (CI's fresh machine).

Exits non-zero when any bench fails (its exit status, or no last line), or when a script in bench/ has no small
size in SMALL below: a new benchmark declares one here.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
# Each benchmark's arguments for its small size.
SMALL = {
    "truth_inference.py": ["--small"],
    "calibration.py": ["--small", "--no-crowdkit"],
    "replay.py": ["--small"],
    "weights.py": ["--small"],
    "import_items.py": ["--small"],
    "assignment_load.py": ["--small"],
    "submit_load.py": ["--small"],
    "import_job.py": ["--small"],
    "train.py": ["--small"],
    "predict.py": ["--small"],
    "feedback.py": ["--small"],
}
# Modules of bench/ that are not benchmarks: the ceiling server's settings and URLs (private helpers start with _).
NOT_BENCHMARKS = {"__init__.py", "ceiling_settings.py", "ceiling_urls.py"}
TIMEOUT_SECONDS = 600


def benchmarks() -> list[str]:
    return sorted(path.name for path in BENCH.glob("*.py")
                  if not path.name.startswith("_") and path.name not in NOT_BENCHMARKS)


def run(name: str) -> bool:
    """Run one benchmark small; print its last line (or why it failed). True when it succeeded."""
    if name not in SMALL:
        print(f"bench/{name}: FAILED: no small size declared in scripts/run_benches.py", flush=True)
        return False
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, str(BENCH / name), *SMALL[name]], cwd=ROOT, capture_output=True,
                              text=True, timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        print(f"bench/{name}: FAILED: still running after {TIMEOUT_SECONDS} s", flush=True)
        return False
    lines = done.stdout.strip().splitlines()
    label = f"bench/{name} {' '.join(SMALL[name])} ({time.monotonic() - started:.0f} s)"
    if done.returncode != 0 or not lines:
        print(f"{label}: FAILED (exit status {done.returncode})\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}",
              flush=True)
        return False
    print(f"{label}: {lines[-1]}", flush=True)
    return True


def main(names: list[str]) -> int:
    if "--create-database" in names:
        names = [name for name in names if name != "--create-database"]
        if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
            sys.path.insert(0, str(ROOT))
            from bench.assignment_load import ensure_database

            ensure_database()
    results = {name: run(name) for name in names or benchmarks()}
    failed = [name for name, succeeded in results.items() if not succeeded]
    print(f"{len(results) - len(failed)} of {len(results)} benchmarks ran" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

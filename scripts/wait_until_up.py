"""Wait until `make run` is up: the login page answers and both Celery workers reply to a ping.

Exits 0 when they are, 1 after `--timeout` seconds. scripts/run.sh prints its banner then, so the banner is
the last thing the start-up shows.
"""

import argparse
import sys
import time
import urllib.request


def page_answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2)
    except OSError:
        return False
    return True


def workers_answer() -> bool:
    from crowdlabel.celery import app
    from crowdlabel.workers import WORKERS

    names = {name.split("@")[0] for reply in app.control.ping(timeout=1) for name in reply}
    return all(node in names for node, _processes in WORKERS.values())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout
    for ready in (lambda: page_answers(args.url), workers_answer):
        while not ready():
            if time.monotonic() > deadline:
                return 1
            time.sleep(0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
import os
import sys
from pathlib import Path


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crowdlabel.settings")
    # Neither SECRET_KEY nor DEBUG set, in a git checkout: a developer's machine, where `make run` runs with
    # DEBUG on. The commands in README work there as written, on the same settings (and the same database).
    # A deploy sets SECRET_KEY, and the web server (wsgi.py, asgi.py) never takes this default.
    if not os.environ.get("SECRET_KEY") and "DEBUG" not in os.environ and (Path(__file__).parent / ".git").exists():
        os.environ["DEBUG"] = "1"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

"""The real settings plus one bare view, for the assignment benchmark's ceiling (never deployed)."""

from crowdlabel.settings import *  # noqa: F401,F403

ROOT_URLCONF = "bench.ceiling_urls"

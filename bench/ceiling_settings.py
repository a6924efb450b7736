"""The real settings plus one bare view, for the assignment benchmark's ceiling (never deployed)."""

from crowdlabel.settings import *

ROOT_URLCONF = "bench.ceiling_urls"

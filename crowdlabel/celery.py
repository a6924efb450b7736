"""The Celery app. Tasks live in each app's `celery_tasks.py` (the app named `tasks` makes `tasks.py`
ambiguous); beat reads its schedule from the database (django-celery-beat)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crowdlabel.settings")

app = Celery("crowdlabel")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="celery_tasks")

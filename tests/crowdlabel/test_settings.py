import os
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]


def _load_settings(**env):
    """Import the settings in a fresh interpreter with exactly this environment (plus PATH)."""
    clean = {"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "crowdlabel.settings", **env}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL)"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60,
    )


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = _load_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_starts_with_a_secret_key_and_debug_off():
    result = _load_settings(DEBUG="0", SECRET_KEY="s3cret")
    assert result.returncode == 0, result.stderr


def test_embedded_default_is_sqlite_and_a_serverless_broker():
    result = _load_settings(DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "filesystem://"]


def test_database_and_broker_come_from_the_environment():
    result = _load_settings(
        DEBUG="1", DATABASE_URL="postgres://postgres@127.0.0.1:5432/x", CELERY_BROKER_URL="redis://127.0.0.1:6379/3"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "redis://127.0.0.1:6379/3"]

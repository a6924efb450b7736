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


def _manage(*args, **env):
    clean = {"PATH": os.environ.get("PATH", ""), **env}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True,
                          timeout=120)


def test_manage_py_in_a_checkout_runs_without_secret_key_or_debug(tmp_path):
    """README's `manage.py` commands, as a newcomer types them after `make run` (which sets DEBUG itself)."""
    result = _manage("check", CROWDLABEL_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr


def test_manage_py_with_debug_off_still_needs_a_secret_key(tmp_path):
    result = _manage("check", DEBUG="0", CROWDLABEL_VAR_DIR=str(tmp_path))
    assert result.returncode != 0 and "SECRET_KEY is not set" in result.stderr


def test_the_web_server_never_takes_the_checkout_default(tmp_path):
    result = subprocess.run([sys.executable, "-c", "import crowdlabel.wsgi"], cwd=ROOT, capture_output=True, text=True,
                            env={"PATH": os.environ.get("PATH", ""), "CROWDLABEL_VAR_DIR": str(tmp_path)}, timeout=60)
    assert result.returncode != 0 and "SECRET_KEY is not set" in result.stderr

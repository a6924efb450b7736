#!/usr/bin/env bash
# Start CrowdLabel: migrate, install the periodic jobs, make sure an admin exists, then run the web server,
# a Celery worker and beat together. Ctrl-C (or any one of them dying) stops all of them.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
CELERY=$(dirname "$PY")/celery
export DJANGO_SETTINGS_MODULE=crowdlabel.settings HF_HUB_OFFLINE=1
mkdir -p var/celery/queue var/celery/processed var/celery/results var/media

"$PY" manage.py migrate --no-input
"$PY" manage.py setup_periodic_tasks
"$PY" manage.py ensure_admin
"$PY" manage.py collectstatic --no-input --verbosity 0
if "$PY" manage.py help setup_demo >/dev/null 2>&1; then "$PY" manage.py setup_demo; fi

pids=()
stop() {
  trap - INT TERM EXIT
  echo "stopping CrowdLabel..."
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

# The embedded broker and SQLite want few writers: one worker process is enough for a laptop.
"$CELERY" -A crowdlabel worker --loglevel=INFO --concurrency="${CELERY_CONCURRENCY:-1}" -Q celery,training -n "worker@%h" &
pids+=($!)
"$CELERY" -A crowdlabel beat --loglevel=INFO --scheduler django_celery_beat.schedulers:DatabaseScheduler \
  --pidfile= -s var/celery/beat-schedule &
pids+=($!)
"$PY" manage.py runserver "${HOST:-127.0.0.1}:${PORT:-8000}" --noreload &
pids+=($!)
echo "CrowdLabel on http://${HOST:-127.0.0.1}:${PORT:-8000}/  (admin at /admin/, Ctrl-C to stop)"
# Stop everything as soon as any one of the three exits.
wait -n "${pids[@]}"

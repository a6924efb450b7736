#!/usr/bin/env bash
# Start CrowdLabel: migrate, install the periodic jobs, make sure an admin exists, then run the web server,
# two Celery workers (one for quality control and the periodic jobs, one for fine-tuning runs) and beat.
# Ctrl-C (or any one of them dying) stops all of them.
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

# One worker per queue (crowdlabel/workers.py): a fine-tuning run holds the `training` worker for minutes,
# and quality control, lease expiry and the periodic jobs must not wait behind it.
"$PY" -m crowdlabel.workers celery &
pids+=($!)
"$PY" -m crowdlabel.workers training &
pids+=($!)
"$CELERY" -A crowdlabel beat --loglevel=INFO --scheduler django_celery_beat.schedulers:DatabaseScheduler \
  --pidfile= -s var/celery/beat-schedule &
pids+=($!)
"$PY" manage.py runserver "${HOST:-127.0.0.1}:${PORT:-8000}" --noreload &
pids+=($!)
echo "CrowdLabel on http://${HOST:-127.0.0.1}:${PORT:-8000}/  (admin at /admin/, Ctrl-C to stop)"
# Stop everything as soon as any one of them exits.
wait -n "${pids[@]}"

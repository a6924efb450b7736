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
URL="http://${HOST:-127.0.0.1}:${PORT:-8000}"

echo "migrating the database..."
"$PY" manage.py migrate --no-input --verbosity 0
"$PY" manage.py setup_periodic_tasks
# Shown now and again in the banner below, once the servers' start-up lines have scrolled past.
admin_account=$("$PY" manage.py ensure_admin)
echo "$admin_account"
"$PY" manage.py collectstatic --no-input --verbosity 0
demo_accounts=""
if "$PY" manage.py help setup_demo >/dev/null 2>&1; then
  demo=$("$PY" manage.py setup_demo)
  echo "$demo"
  demo_accounts=$(sed -n 's/^demo accounts: //p' <<<"$demo")
fi

pids=()
banner_pid=""
stop() {
  trap - INT TERM EXIT
  echo "stopping CrowdLabel..."
  kill "${pids[@]}" $banner_pid 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

# Once the site and both workers answer: where to go and how to log in, as the last lines of the start-up.
banner() {
  PYTHONPATH=. "$PY" scripts/wait_until_up.py "$URL/accounts/login/" || return 0
  cat <<BANNER

==================================================================================================
CrowdLabel is up after ${SECONDS} s: $URL/   (Ctrl-C stops everything)
  log in       $URL/accounts/login/
  admin        $URL/admin/
$(sed 's/^/               /' <<<"$admin_account")
${demo_accounts:+$(fold -s -w 84 <<<"$demo_accounts" | sed '1s/^/  demo         /; 2,$s/^/               /')
}  API docs     $URL/api/docs/   (integrators: their token at $URL/api-access/)
==================================================================================================
BANNER
}

# One worker per queue (crowdlabel/workers.py): a fine-tuning run holds the `training` worker for minutes,
# and quality control, lease expiry and the periodic jobs must not wait behind it.
"$PY" -m crowdlabel.workers celery &
pids+=($!)
"$PY" -m crowdlabel.workers training &
pids+=($!)
"$CELERY" --quiet -A crowdlabel beat --loglevel=INFO --scheduler django_celery_beat.schedulers:DatabaseScheduler \
  --pidfile= -s var/celery/beat-schedule &
pids+=($!)
"$PY" manage.py runserver "${HOST:-127.0.0.1}:${PORT:-8000}" --noreload &
pids+=($!)
banner &
banner_pid=$!
# Stop everything as soon as any one of them exits.
wait -n "${pids[@]}"

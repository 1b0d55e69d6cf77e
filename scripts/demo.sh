#!/usr/bin/env bash
# `make demo`: migrate, demo users, a generated demo book, quarter-end runs, exports, then
# serve the admin. SQLite + eager Celery unless DATABASE_URL / CELERY_BROKER_URL are set.
# Safe to run again: steps that are already done are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
DEMO_DIR=${DEMO_DIR:-var/demo-book}
DEMO_POLICIES=${DEMO_POLICIES:-6000}
DEMO_YEARS=${DEMO_YEARS:-6}
DEMO_SEED=${DEMO_SEED:-2026}
has_command() { $PY manage.py help "$1" >/dev/null 2>&1; }

echo "== migrate"
$PY manage.py migrate --noinput

echo "== demo users"
$PY manage.py demo_users
if has_command demo_authorities; then $PY manage.py demo_authorities; fi

# Ask a command's exit status (never parse `shell` output: Django 5.2 prints its own lines there).
if $PY manage.py book_loaded >/dev/null; then
  echo "== demo book already loaded; skipping generation and import"
elif has_command demo_book && has_command import_book; then
  echo "== demo book: $DEMO_POLICIES policies over $DEMO_YEARS years (seed $DEMO_SEED) -> $DEMO_DIR"
  rm -rf "$DEMO_DIR"
  $PY manage.py demo_book "$DEMO_DIR" --policies "$DEMO_POLICIES" --years "$DEMO_YEARS" --seed "$DEMO_SEED" --truth
  echo "== import"
  $PY manage.py import_book "$DEMO_DIR"
else
  echo "== (demo_book/import_book not available in this build; no book loaded)"
fi

if has_command demo_runs; then
  echo "== quarter-end reserve runs for the last 8 quarters"
  $PY manage.py demo_runs --quarters 8
fi
if has_command demo_capital; then
  echo "== capital entries for the solvency dashboard"
  $PY manage.py demo_capital
fi
if has_command demo_reports; then
  echo "== regulator exports -> var/exports/"
  $PY manage.py demo_reports --out var/exports
fi
for schedule in install_schedules install_diyeh_schedule; do
  if has_command $schedule; then $PY manage.py $schedule; fi
done

echo
echo "Admin:    http://127.0.0.1:8000/admin/   (users and passwords printed above)"
echo "API docs: http://127.0.0.1:8000/api/docs/"
if [ "${DEMO_NO_SERVE:-0}" = "1" ]; then exit 0; fi
# Without a broker the server computes a run's segments in a thread, so the page shows progress.
if [ -z "${CELERY_BROKER_URL:-}" ]; then export RUN_SEGMENTS_IN_THREAD=1; fi
exec $PY manage.py runserver 127.0.0.1:8000 --noreload

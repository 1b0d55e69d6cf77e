#!/usr/bin/env bash
# Restore a backup made by scripts/db_backup.sh into a NEW, empty database (never over a live one).
#   scripts/db_restore.sh FILE postgres://user@host:port/new_db
# Then check it: DATABASE_URL=… manage.py reserve_run --rerun <id of an approved run> --json must
# say "identical": true (docs/operations.md).
set -euo pipefail
if [ $# -ne 2 ]; then echo "usage: $0 FILE.dump postgres://user@host:port/new_db" >&2; exit 2; fi
file=$1 url=$2
db=${url##*/}; db=${db%%\?*}
server=${url%/*}/postgres
if [ "$(psql "$server" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" = "1" ]; then
  echo "restore: database $db exists; restore into a new database" >&2; exit 1
fi
psql "$server" -qc "CREATE DATABASE \"$db\""
# one transaction: a restore that fails half-way leaves an empty database, not half a book;
# the append-only triggers come in the post-data section, after the rows.
pg_restore --exit-on-error --single-transaction --no-owner --no-privileges --dbname="$url" "$file"
psql "$url" -qc "ANALYZE"
echo "restore: $file into $db"

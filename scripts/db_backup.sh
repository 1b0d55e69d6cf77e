#!/usr/bin/env bash
# Backup of the book of record: a consistent pg_dump (one snapshot, custom format, compressed).
#   scripts/db_backup.sh DATABASE_URL FILE
# Restore with scripts/db_restore.sh. The procedure and its test: docs/operations.md.
set -euo pipefail
if [ $# -ne 2 ]; then echo "usage: $0 postgres://user@host:port/db FILE.dump" >&2; exit 2; fi
url=$1 file=$2
tmp="$file.partial"
# --serializable-deferrable: the dump waits for a snapshot no concurrent posting can make
# inconsistent (a ledger row without its claim); written under a temporary name, renamed at the end.
pg_dump --format=custom --compress=6 --no-owner --no-privileges --serializable-deferrable \
  --file="$tmp" "$url"
mv "$tmp" "$file"
pg_restore --list "$file" >/dev/null  # the archive reads back
echo "backup: $file ($(du -h "$file" | cut -f1))"

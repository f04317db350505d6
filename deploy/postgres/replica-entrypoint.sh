#!/bin/bash
# The standby: on first start a base backup of the primary with -R (standby.signal and
# primary_conninfo written for us) through a replication slot, so the primary keeps every WAL
# segment the standby has not received yet; afterwards an ordinary hot standby start.
set -euo pipefail
export PGPASSWORD="$REPLICATION_PASSWORD"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h "$PRIMARY_HOST" -U replicator -d postgres; do sleep 1; done
  mkdir -p "$PGDATA" && chmod 700 "$PGDATA"
  pg_basebackup -h "$PRIMARY_HOST" -U replicator -D "$PGDATA" -R -X stream -C -S "$REPLICA_SLOT" -c fast -P \
    || pg_basebackup -h "$PRIMARY_HOST" -U replicator -D "$PGDATA" -R -X stream -S "$REPLICA_SLOT" -c fast -P
fi
exec postgres -c hot_standby=on -c hot_standby_feedback=on -c jit=off

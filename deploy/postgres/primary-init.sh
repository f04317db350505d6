#!/bin/bash
# Runs once, when the primary's data folder is created (docker-entrypoint-initdb.d): the role the
# standby and the backups connect as, allowed to replicate from the deployment's network only.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '${REPLICATION_PASSWORD}';
-- the replica's health check (geoportal.replica) reads pg_stat_wal_receiver's status
GRANT pg_monitor TO ${POSTGRES_USER};
ALTER DATABASE ${POSTGRES_DB} SET jit = off;
SQL
echo "host replication replicator 172.30.0.0/24 scram-sha-256" >> "$PGDATA/pg_hba.conf"

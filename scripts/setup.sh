#!/usr/bin/env bash
# Provision everything Geoportal needs on this machine; safe to run again and again.
#
#   scripts/setup.sh [--with-browser]
#
# Without DATABASE_URL/REDIS_URL in the environment it installs (Debian, as root) and starts a
# local PostgreSQL+PostGIS cluster and Redis; with them it uses those servers and installs no
# system packages. Then it creates .venv, installs the project, vendors the front-end libraries
# and migrates. Every step checks before it acts, so a second run changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WITH_BROWSER=0
[[ "${1:-}" == "--with-browser" ]] && WITH_BROWSER=1

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[setup] %s\033[0m\n' "$*" >&2; exit 1; }

DB_NAME=${GEOPORTAL_DB_NAME:-geoportal}
DB_USER=${GEOPORTAL_DB_USER:-geoportal}
DB_PASSWORD=${GEOPORTAL_DB_PASSWORD:-geoportal}
USE_EXTERNAL=0
if [[ -n "${DATABASE_URL:-}" && -n "${REDIS_URL:-}" ]]; then
  USE_EXTERNAL=1
  say "DATABASE_URL and REDIS_URL are set: using those servers, installing no system packages."
fi

# --- 1. system packages -----------------------------------------------------------------------
need_pkgs=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
PG_MAJOR=""
if [[ $USE_EXTERNAL -eq 0 ]]; then
  if command -v pg_lsclusters >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    PG_MAJOR=$(ls /usr/lib/postgresql | sort -n | tail -1)
  else
    PG_MAJOR=15
    need_pkgs+=(postgresql)
  fi
  have_pkg "postgresql-${PG_MAJOR}-postgis-3" || need_pkgs+=("postgresql-${PG_MAJOR}-postgis-3")
  have_pkg redis-server || need_pkgs+=(redis-server)
fi
# nginx: the buffering reverse proxy (deploy/nginx/geoportal.conf), also started by the fault tests
for p in gdal-bin libgdal32 libgeos-c1v5 libproj25 python3-venv gettext nginx; do
  have_pkg "$p" || need_pkgs+=("$p")
done
command -v npm >/dev/null 2>&1 || need_pkgs+=(npm)
if [[ $WITH_BROWSER -eq 1 ]]; then
  have_pkg chromium || need_pkgs+=(chromium)
  have_pkg chromium-driver || need_pkgs+=(chromium-driver)
  # `docker compose config` is checked by a test; Debian's docker-compose needs no engine.
  command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || need_pkgs+=(docker-compose)
  # make test-deploy starts its own PostgreSQL primary and standby (PostGIS), PgBouncer, Redis
  # and nginx on free ports, even when the portal itself uses external servers.
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_pkgs+=(postgresql)
  DEPLOY_PG=${PG_MAJOR:-$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)}
  have_pkg "postgresql-${DEPLOY_PG:-15}-postgis-3" || need_pkgs+=("postgresql-${DEPLOY_PG:-15}-postgis-3")
  for p in pgbouncer nginx redis-server; do have_pkg "$p" || need_pkgs+=("$p"); done
fi
if [[ ${#need_pkgs[@]} -gt 0 ]]; then
  if [[ $(id -u) -eq 0 ]] && [[ -f /etc/debian_version ]] && command -v apt-get >/dev/null; then
    say "installing system packages: ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${need_pkgs[@]}"
    [[ -z "$PG_MAJOR" || ! -d /usr/lib/postgresql/$PG_MAJOR ]] && PG_MAJOR=$(ls /usr/lib/postgresql | sort -n | tail -1)
  else
    die "missing system packages: ${need_pkgs[*]}
Install them (Debian/Ubuntu: sudo apt-get install ${need_pkgs[*]}), or set DATABASE_URL and
REDIS_URL to existing PostGIS and Redis servers, then run this again."
  fi
else
  say "system packages present"
fi

# --- 2. PostgreSQL + PostGIS --------------------------------------------------------------------
if [[ $USE_EXTERNAL -eq 0 ]]; then
  if ! pg_lsclusters -h 2>/dev/null | awk '{print $1}' | grep -qx "$PG_MAJOR"; then
    say "creating PostgreSQL $PG_MAJOR cluster"
    pg_createcluster "$PG_MAJOR" main >/dev/null
  fi
  CLUSTER=$(pg_lsclusters -h | awk -v v="$PG_MAJOR" '$1==v {print $2; exit}')
  PG_PORT=$(pg_lsclusters -h | awk -v v="$PG_MAJOR" '$1==v {print $3; exit}')
  if ! pg_lsclusters -h | awk -v v="$PG_MAJOR" '$1==v {print $4}' | grep -q online; then
    say "starting PostgreSQL $PG_MAJOR/$CLUSTER on port $PG_PORT"
    pg_ctlcluster "$PG_MAJOR" "$CLUSTER" start
  else
    say "PostgreSQL $PG_MAJOR/$CLUSTER is running on port $PG_PORT"
  fi
  as_postgres() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
  psql_pg() { as_postgres psql -p "$PG_PORT" -v ON_ERROR_STOP=1 -qtAX "$@"; }
  for _ in $(seq 1 30); do psql_pg -c "select 1" >/dev/null 2>&1 && break; sleep 0.5; done
  if [[ -z $(psql_pg -c "select 1 from pg_roles where rolname='$DB_USER'") ]]; then
    say "creating database role $DB_USER"
    # Superuser so the test runner can create its database with the PostGIS extension.
    psql_pg -c "create role \"$DB_USER\" login superuser password '$DB_PASSWORD'"
  fi
  if [[ -z $(psql_pg -c "select 1 from pg_database where datname='$DB_NAME'") ]]; then
    say "creating database $DB_NAME"
    psql_pg -c "create database \"$DB_NAME\" owner \"$DB_USER\""
  fi
  psql_pg -d "$DB_NAME" -c "create extension if not exists postgis" >/dev/null
  export DATABASE_URL="postgis://$DB_USER:$DB_PASSWORD@127.0.0.1:$PG_PORT/$DB_NAME"

  # --- 3. Redis -----------------------------------------------------------------------------------
  if redis-cli -p 6379 ping >/dev/null 2>&1; then
    say "Redis is running"
  else
    say "starting Redis"
    if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
      systemctl start redis-server || true
    fi
    redis-cli -p 6379 ping >/dev/null 2>&1 || redis-server --port 6379 --daemonize yes \
      --save "" --appendonly no --logfile "$ROOT/var/redis.log" --dir "$ROOT/var" 2>/dev/null \
      || { mkdir -p "$ROOT/var"; redis-server --port 6379 --daemonize yes --save "" --appendonly no \
           --logfile "$ROOT/var/redis.log" --dir "$ROOT/var"; }
    for _ in $(seq 1 30); do redis-cli -p 6379 ping >/dev/null 2>&1 && break; sleep 0.2; done
    redis-cli -p 6379 ping >/dev/null || die "Redis did not start; see var/redis.log"
  fi
  export REDIS_URL="redis://127.0.0.1:6379/0"
fi
mkdir -p var var/static var/media
printf 'DATABASE_URL=%s\nREDIS_URL=%s\n' "$DATABASE_URL" "$REDIS_URL" > var/services.env

# --- 4. Python environment ------------------------------------------------------------------
PY=${PYTHON:-}
if [[ -z "$PY" ]]; then
  for cand in python3.11 python3; do
    if command -v "$cand" >/dev/null && "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PY=$cand; break
    fi
  done
fi
[[ -n "$PY" ]] || die "Python 3.11 is required (Debian 12: apt-get install python3 python3-venv)"
if [[ ! -x .venv/bin/python ]]; then
  say "creating .venv with $PY"
  "$PY" -m venv .venv
fi
STAMP=.venv/.geoportal-installed
WANT=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [[ ! -f $STAMP || "$(cat $STAMP)" != "$WANT" ]]; then
  say "installing the project and its pinned dependencies into .venv"
  .venv/bin/pip install -q --disable-pip-version-check -U pip
  .venv/bin/pip install -q --disable-pip-version-check -e '.[dev]'
  echo "$WANT" > $STAMP
else
  say "Python dependencies up to date"
fi

# --- 5. Front-end libraries (vendored from the npm registry; no CDN at run time) ----------------
scripts/vendor_static.sh

# --- 6. Database schema -----------------------------------------------------------------------
say "migrating"
DEBUG="${DEBUG:-1}" .venv/bin/python manage.py migrate --noinput -v 0  # a local demo/test set-up
DEBUG="${DEBUG:-1}" .venv/bin/python manage.py compilemessages -v 0 --ignore=.venv >/dev/null 2>&1 || true
say "ready: DATABASE_URL=$DATABASE_URL REDIS_URL=$REDIS_URL"

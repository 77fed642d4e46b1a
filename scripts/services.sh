# Helpers for scripts/test: make sure PostgreSQL, Redis and Chromium are there.

pg_ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

ensure_postgres() {
  if pg_ready; then return; fi
  if ! command -v pg_ctlcluster >/dev/null; then
    apt_install postgresql postgresql-client || { echo "farside: PostgreSQL is required" >&2; exit 1; }
  fi
  local version
  version="$(ls /etc/postgresql | sort -V | tail -1)"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
  pg_ready || { echo "farside: PostgreSQL did not start" >&2; exit 1; }
  # A fresh Debian cluster asks TCP clients for a password; give the tests one.
  if ! psql -h 127.0.0.1 -U postgres -d postgres -c 'select 1' >/dev/null 2>&1; then
    as_root su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'farside'\"" >/dev/null
    export DATABASE_URL="postgres://postgres:farside@127.0.0.1:5432/farside"
  fi
}

redis_ready() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

ensure_redis() {
  if redis_ready; then return; fi
  command -v redis-server >/dev/null || apt_install redis-server redis-tools || { echo "farside: Redis is required" >&2; exit 1; }
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/farside.log
  for _ in $(seq 1 30); do redis_ready && break; sleep 0.5; done
  redis_ready || { echo "farside: Redis did not start" >&2; exit 1; }
}

ensure_chromium() {
  [ -x /usr/bin/chromium ] || apt_install chromium || { echo "farside: Chromium is required for browser tests" >&2; exit 1; }
}

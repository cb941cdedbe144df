# Shared by scripts/browser-test and scripts/api-fuzz: the BigCommerce sandbox and the service,
# on free loopback ports, against a fresh database on the server DATABASE_URL names.
# Source this file after scripts/lib/postgres.sh; call stack_start, then use $SANDBOX_URL and
# $APP_URL; stack_stop (or the EXIT trap the caller sets) cleans up.

stack_pids=()
stack_db=""

# stack_start [extra APP_* assignments...]
stack_start() {
  : "${DATABASE_URL:?run through scripts/test, or set DATABASE_URL}"
  SQLX_OFFLINE=true cargo build --quiet --workspace --bins
  stack_work=$(mktemp -d /tmp/checkout-bff-stack.XXXXXX)
  stack_db="stack_$(date +%s)_$$"
  psql "$DATABASE_URL" -qtAc "CREATE DATABASE $stack_db" >/dev/null
  local db_host db_port db_user
  db_host=$(sed -E 's|^postgres(ql)?://([^@]*@)?([^:/]+).*|\3|' <<<"$DATABASE_URL")
  db_port=$(sed -E 's|^postgres(ql)?://[^/]*:([0-9]+)/.*|\2|' <<<"$DATABASE_URL")
  db_user=$(sed -E 's|^postgres(ql)?://([^:@/]+).*|\2|' <<<"$DATABASE_URL")
  local sandbox_port app_port admin_port
  sandbox_port=$(random_free_port 18090)
  app_port=$(random_free_port 20090)
  admin_port=$(random_free_port 21090)
  SANDBOX_URL="http://127.0.0.1:$sandbox_port"
  APP_URL="http://127.0.0.1:$app_port"
  # /readyz and /metrics are on the admin listener.
  ADMIN_URL="http://127.0.0.1:$admin_port"

  SANDBOX_PORT=$sandbox_port SANDBOX_STOREFRONT_URL="$APP_URL/cart" SANDBOX_WORKERS=2 \
    "${CARGO_TARGET_DIR:-target}/debug/bc-sandbox" >"$stack_work/sandbox.log" 2>&1 &
  stack_pids+=($!)
  env APP_ENVIRONMENT=local \
    APP_APPLICATION__PORT="$app_port" \
    APP_ADMIN__PORT="$admin_port" \
    APP_APPLICATION__BASE_URL="$APP_URL" \
    APP_APPLICATION__WORKERS=2 \
    APP_DATABASE__HOST="$db_host" APP_DATABASE__PORT="$db_port" APP_DATABASE__USERNAME="$db_user" \
    APP_DATABASE__PASSWORD="" APP_DATABASE__DATABASE_NAME="$stack_db" \
    APP_BIGCOMMERCE__API_BASE_URL="$SANDBOX_URL" \
    "$@" \
    "${CARGO_TARGET_DIR:-target}/debug/checkout-bff" >"$stack_work/app.log" 2>&1 &
  stack_pids+=($!)
  for _ in $(seq 1 150); do
    curl -fsS "$ADMIN_URL/readyz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "the service did not start:" >&2
  cat "$stack_work/app.log" >&2
  return 1
}

stack_log() {
  tail -n "${1:-40}" "$stack_work/app.log"
}

stack_stop() {
  set +e
  for pid in "${stack_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait "${stack_pids[@]}" 2>/dev/null || true
  stack_pids=()
  if [ -n "$stack_db" ]; then
    psql "${DATABASE_URL%/*}/postgres" -qtAc "DROP DATABASE IF EXISTS $stack_db WITH (FORCE)" >/dev/null 2>&1 || true
    stack_db=""
  fi
  [ -n "${stack_work:-}" ] && rm -rf "$stack_work"
}

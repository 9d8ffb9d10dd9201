#!/usr/bin/env bash
# The attack suite against a real `moneta start` (as deployed): a free port on 127.0.0.1, a temp data
# dir (embedded PGlite), a fresh bootstrap key and sandbox webhook secret, default rate limits and
# lockout. Waits for /health, runs `moneta attack` (extra arguments are passed on), stops the server.
# Exit status: the attack's (non-zero when any check fails).
set -euo pipefail
cd "$(dirname "$0")/.."

port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
dir=$(mktemp -d)
key="ci-attack-$(node -e "console.log(require('crypto').randomBytes(24).toString('hex'))")"
whsec="whsec_$(node -e "console.log(require('crypto').randomBytes(32).toString('base64'))")"
server_pid=""
stop() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap stop EXIT

env PORT="$port" HOST=127.0.0.1 MONETA_DATA_DIR="$dir/data" MONETA_API_KEY="$key" \
  MONETA_SANDBOX_WEBHOOK_SECRET="$whsec" MONETA_ANALYTICS_EXPORT_MS=300 DATABASE_URL= REDIS_URL= MONETA_CONFIG_FILE= LOG_LEVEL=warn \
  node bin/moneta.js start >"$dir/server.log" 2>&1 &
server_pid=$!

url="http://127.0.0.1:$port"
for _ in $(seq 1 120); do
  if node -e "fetch('$url/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then cat "$dir/server.log"; echo "moneta start exited"; exit 1; fi
  sleep 0.5
done

status=0
node bin/moneta.js attack --target "$url" --api-key "$key" --sandbox-webhook-secret "$whsec" "$@" || status=$?
if [ "$status" -ne 0 ]; then echo "--- server log"; tail -n 50 "$dir/server.log"; fi
exit "$status"

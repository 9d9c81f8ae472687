#!/usr/bin/env bash
# The API fuzzer: schemathesis (pinned with hashes in requirements.txt)
# generates requests from the OpenAPI document a `lockgate serve --demo` on
# loopback serves, with a token per role, and fails on a 5xx, a request the
# document allows that the server refuses, one it forbids that the server
# accepts, or an answer the document does not describe.
#
#   tests/api-fuzz/run.sh                      # 25 examples per operation
#   API_FUZZ_EXAMPLES=200 tests/api-fuzz/run.sh
#
# API_FUZZ_SEED fixes the generation (default 1); API_FUZZ_VENV
# is where schemathesis is installed (default target/api-fuzz-venv).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
examples="${API_FUZZ_EXAMPLES:-25}"
seed="${API_FUZZ_SEED:-1}"
venv="${API_FUZZ_VENV:-$root/target/api-fuzz-venv}"

if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$(sed -n 's/^schemathesis==\([^ ]*\).*/\1/p' "$here/requirements.txt")"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --require-hashes -r "$here/requirements.txt"
fi
(cd "$root" && cargo build --quiet -p lockgate --bin lockgate)
# Wherever cargo builds (CARGO_TARGET_DIR, a config file, or target/).
target="$(cd "$root" && cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
lockgate="$target/debug/lockgate"

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
(cd "$work" && exec "$lockgate" serve --demo --listen "127.0.0.1:$port" \
    --database-url "sqlite://$work/lockgate.db" --data-dir "$work/data" \
    --cache-dir "$work/cache" >"$work/serve.log" 2>&1) &
server=$!
cleanup() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 1 120); do
    grep -q "listening on http://127.0.0.1:$port" "$work/serve.log" && break
    kill -0 "$server" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
    sleep 0.5
done
grep -q "listening on http://127.0.0.1:$port" "$work/serve.log" || { cat "$work/serve.log"; exit 1; }
token() { sed -n "s/^ *export $1=//p" "$work/serve.log"; }
API_FUZZ_ADMIN="$(token ADMIN)"
API_FUZZ_PARTNER="$(token PARTNER)"
API_FUZZ_OPERATOR="$(token OPERATOR)"
export API_FUZZ_ADMIN API_FUZZ_PARTNER API_FUZZ_OPERATOR

# Its caches (.hypothesis, .schemathesis) go to the scratch folder.
cd "$work"
PYTHONPATH="$here" SCHEMATHESIS_HOOKS=hooks \
"$venv/bin/st" --config-file "$here/schemathesis.toml" --no-color run \
    "http://127.0.0.1:$port/api/v1/openapi.json" \
    --max-examples "$examples" --seed "$seed" \
    --request-timeout 30 --suppress-health-check all "$@"

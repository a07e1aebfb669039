#!/usr/bin/env bash
# Proves deploy/haproxy/haproxy.cfg, unchanged, in front of three replicas of the native binary that read ONE
# mcp-servers.json and share one MCPROXY_STATE_KEY (each with its own --port and --admin-socket, the only settings
# that must differ):
#   test 1: 10,000 tools/call from 8 concurrent MCP 2026-07-28 clients through HAProxy: 0 errors, round robin
#           (each replica answers a third, from the X-Served-By header the config adds);
#   calls/s through HAProxy with 1, 2 and 3 replicas in rotation (same clients, same calls; test 1 is the third);
#   test 4: a config edit (a server added, a tool filtered; temp file + rename) reaches every replica, each asked on
#           its own port until its tools/list shows it;
#   tests 2 and 3 (deploy/ci/haproxy-failover.mjs): a replica SIGKILLed under load costs each 2026 client at most
#           one failed call and none after it; 2025 sessions (the TypeScript SDK client) stay pinned to their
#           replica and those on survivors never fail; a legacy SSE client pinned by source address works;
#   at the end: the survivors stop on SIGTERM and no replica or child of this run is left.
# Needs: haproxy (installed here from Debian when missing), MCPROXY_BIN (else artifacts/native/MCProxy), the Release
# build of tests/MCProxy.TestServer (the children), tests/e2e/node_modules (the SDK client, server-memory).
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/ci/evidence.sh
step() { printf '\n== haproxy-check: %s\n' "$*"; }
fail() { echo "haproxy-check: FAILED: $*" >&2; exit 1; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
began=$(date +%s%N)

if ! command -v haproxy >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null
  # The package's own service (its default config) is not wanted; stopped where a service manager started it.
  (systemctl disable --now haproxy || true) >/dev/null 2>&1
fi
bin=${MCPROXY_BIN:-$PWD/artifacts/native/MCProxy}
testserver=$PWD/tests/MCProxy.TestServer/bin/Release/net10.0/MCProxy.TestServer.dll
memory=$PWD/tests/e2e/node_modules/.bin/mcp-server-memory
[ -x "$bin" ] || fail "no gateway binary at $bin (dotnet publish src/MCProxy/MCProxy.csproj -c Release -o artifacts/native)"
[ -f "$testserver" ] || fail "no $testserver (dotnet build -c Release MCProxy.sln)"
[ -x "$memory" ] || fail "no tests/e2e/node_modules (cd tests/e2e && npm ci)"
haproxy -v | sed -n 1p

dir=$(mktemp -d /tmp/mcproxy-haproxy.XXXXXX)
# Every replica of this run, and so every child it starts (they inherit the environment), carries this marker:
# the cleanup finds anything left by it, whatever happened.
run=haproxy-check-$$-$RANDOM
names=(r1 r2 r3)
declare -A pid port children
lbpid=
leftovers() { grep -lsaF "MCPROXY_CI_RUN=$run" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 || true; }
cleanup() {
  set +e
  [ -n "$lbpid" ] && kill "$lbpid" 2>/dev/null
  for n in "${names[@]}"; do [ -n "${pid[$n]:-}" ] && kill -TERM "${pid[$n]}" 2>/dev/null; done
  for _ in $(seq 1 60); do [ -z "$(leftovers)" ] && break; sleep 0.1; done
  local left; left=$(leftovers)
  [ -n "$left" ] && { echo "haproxy-check: killing what is left: $left"; kill -KILL $left 2>/dev/null; }
  for f in "$dir"/*.log; do [ -f "$f" ] && keep_evidence "haproxy-$(basename "$f")" < "$f"; done
  rm -rf "$dir"
}
trap cleanup EXIT

# Free ports for HAProxy and the replicas (the shipped defaults, 12010-12013, may be taken on a shared machine).
read -r lbport port[r1] port[r2] port[r3] < <(node -e '
  const net = require("net"); const servers = [];
  (async () => { for (let i = 0; i < 4; i++) await new Promise((r) => { const s = net.createServer().listen(0, "127.0.0.1", r); servers.push(s); });
    console.log(servers.map((s) => s.address().port).join(" ")); servers.forEach((s) => s.close()); })();')
token=$(node -e 'console.log(require("crypto").randomBytes(24).toString("hex"))')
# The key that seals a 2026 multi-round-trip call's state: the same on every replica, so any of them can take the
# client's retry (each would make its own when it is unset).
state_key=$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')
evidence_secret "$token" "$state_key"
export MCPROXY_TOKEN=$token   # for the node clients; the replicas read it from their own environment below
bearer=(-H "Authorization: Bearer $token")

step "three replicas, one config file"
# The token comes from the replicas' environment (${MCPROXY_TOKEN}): one auth section, valid on every replica.
cat > "$dir/mcp-servers.json" <<JSON
{"servers": [{"name": "echo", "command": "dotnet", "args": ["$testserver"]}],
 "auth": {"tokens": [{"name": "ci", "token": "\${MCPROXY_TOKEN}", "allow": ["*"]}]}}
JSON
s=$(date +%s%N)
for n in "${names[@]}"; do
  MCPROXY_CI_RUN=$run MCPROXY_REPLICA=$n MCPROXY_STATE_KEY=$state_key "$bin" --log --config "$dir/mcp-servers.json" \
    --port "${port[$n]}" --admin-socket "$dir/$n.sock" > "$dir/$n.log" 2>&1 &
  pid[$n]=$!
done
for n in "${names[@]}"; do
  ok=0
  for _ in $(seq 1 600); do
    curl -fs "http://127.0.0.1:${port[$n]}/health" | grep -q '"ready":true' && { ok=1; break; }
    kill -0 "${pid[$n]}" 2>/dev/null || break
    sleep 0.1
  done
  [ "$ok" = 1 ] || { tail -20 "$dir/$n.log"; fail "replica $n not ready"; }
  echo "$n: pid ${pid[$n]}, port ${port[$n]}, admin socket $dir/$n.sock"
done
echo "all ready $(ms "$s") ms after start"

step "HAProxy with deploy/haproxy/haproxy.cfg (addresses through its environment variables)"
export MCPROXY_LB_BIND=127.0.0.1:$lbport MCPROXY_LB_SOCKET=$dir/haproxy.sock MCPROXY_LB_LOG=stdout
export MCPROXY_REPLICA1=127.0.0.1:${port[r1]} MCPROXY_REPLICA2=127.0.0.1:${port[r2]} MCPROXY_REPLICA3=127.0.0.1:${port[r3]}
haproxy -c -q -f deploy/haproxy/haproxy.cfg || fail "haproxy -c rejects deploy/haproxy/haproxy.cfg"
haproxy -db -f deploy/haproxy/haproxy.cfg > "$dir/haproxy.log" 2>&1 &
lbpid=$!
# lb COMMAND: HAProxy's runtime API on its stats socket.
lb() {
  node -e 'const s = require("net").connect(process.argv[1]); let b = "";
    s.on("data", (d) => b += d).on("end", () => process.stdout.write(b)).on("error", (e) => { console.error(e.message); process.exit(1); });
    s.end(process.argv[2] + "\n");' "$dir/haproxy.sock" "$*"
}
# wait_up N: until exactly N servers of be_mcp are up (checks passed) and in rotation.
wait_up() {
  local up=
  for _ in $(seq 1 100); do
    # (the socket may not exist yet right after HAProxy starts: that counts as none up)
    up=$(lb "show servers state be_mcp" 2>/dev/null | awk '$1 ~ /^[0-9]+$/ && $6 == 2 && $7 == 0' | wc -l || true)
    [ "$up" = "$1" ] && return 0
    sleep 0.1
  done
  lb "show servers state be_mcp"; fail "expected $1 replicas up behind HAProxy, got $up"
}
wait_up 3
echo "HAProxy on 127.0.0.1:$lbport, 3 replicas up"
base=http://127.0.0.1:$lbport

step "calls/s with 1, 2 and 3 replicas; test 1: 10,000 calls from 8 clients over 3 replicas, 0 errors, round robin"
load() { node deploy/ci/haproxy-load.mjs --clients 8 "$@"; }
# Where the CPU goes, per call: user+system clock ticks (/proc/PID/stat fields 14 and 15) of HAProxy, of the
# replicas and of their children around each measured run; the client reports its own.
clk=$(getconf CLK_TCK)
ticks() { local t=0 p; for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
measure() {  # measure LABEL URL NAME [load options]: 10,000 calls from 8 clients, then the CPU split per call
  local label=$1 url=$2 name=$3; shift 3
  local kids h g c
  kids=$(for n in "${names[@]}"; do pgrep -P "${pid[$n]}" || true; done)
  h=$(ticks "$lbpid"); g=$(ticks "${pid[@]}"); c=$(ticks $kids)
  load --url "$url" --calls 10000 --label "$label" --summary "$dir/$name.json" "$@"
  us() { echo $(( ($1) * 1000000 / clk / 10000 )); }
  echo "$label: CPU per call: HAProxy $(us "$(ticks "$lbpid") - h") µs, gateways $(us "$(ticks "${pid[@]}") - g") µs," \
    "children $(us "$(ticks $kids) - c") µs, client $(node -p "require('$dir/$name.json').clientCpuMicrosPerCall") µs"
}
# The children are .NET processes that compile as they go: warm every replica first, then measure.
load --url "$base/mcp" --calls 3000 --label "warm-up over 3 replicas" --expect-replicas r1,r2,r3
measure "direct to r1, no HAProxy" "http://127.0.0.1:${port[r1]}/mcp" direct
lb "set server be_mcp/r2 state maint" >/dev/null; lb "set server be_mcp/r3 state maint" >/dev/null; wait_up 1
measure "1 replica" "$base/mcp" one --expect-replicas r1
lb "set server be_mcp/r2 state ready" >/dev/null; wait_up 2
measure "2 replicas" "$base/mcp" two --expect-replicas r1,r2
lb "set server be_mcp/r3 state ready" >/dev/null; wait_up 3
measure "test 1: 3 replicas" "$base/mcp" three --expect-replicas r1,r2,r3
rate() { node -p "require('$dir/$1.json').callsPerSecond"; }
echo "calls/s through HAProxy, 8 clients, 10,000 calls each: 1 replica $(rate one), 2 replicas $(rate two), 3 replicas $(rate three) (direct to one replica: $(rate direct))"

step "test 4: a config edit reaches every replica (one file, temp file + rename)"
# Adds a stateful server (its file per replica, from each replica's own MCPROXY_REPLICA) and hides echo's "big".
cat > "$dir/.mcp-servers.json.new" <<JSON
{"servers": [{"name": "echo", "command": "dotnet", "args": ["$testserver"], "tools": {"deny": ["big"]}},
             {"name": "memory", "command": "$memory", "env": {"MEMORY_FILE_PATH": "$dir/memory-\${MCPROXY_REPLICA}.jsonl"}}],
 "auth": {"tokens": [{"name": "ci", "token": "\${MCPROXY_TOKEN}", "allow": ["*"]}]}}
JSON
s=$(date +%s%N)
mv "$dir/.mcp-servers.json.new" "$dir/mcp-servers.json"
for n in "${names[@]}"; do
  seen=0
  for _ in $(seq 1 300); do
    list=$(curl -fs -X POST "http://127.0.0.1:${port[$n]}/sse" "${bearer[@]}" -H 'Content-Type: application/json' \
      -d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' || true)
    if grep -q '"memory__read_graph"' <<<"$list" && ! grep -q '"echo__big"' <<<"$list"; then seen=1; break; fi
    sleep 0.1
  done
  [ "$seen" = 1 ] || { tail -20 "$dir/$n.log"; fail "replica $n does not show the edit after 30 s"; }
  echo "$n: memory__read_graph listed, echo__big gone, $(ms "$s") ms after the rename; $(grep -o 'reload: .*' "$dir/$n.log" | tail -1)"
done

step "tests 2 and 3: SIGKILL a replica under load; 2025 sessions and a legacy SSE client across it"
for n in "${names[@]}"; do children[$n]=$(pgrep -P "${pid[$n]}" | tr '\n' ' '); done
args=(--base "$base" --sessions 6 --clients 8 --calls 6000 --kill-after 2000 --victim-file "$dir/victim" --summary "$dir/failover.json")
for n in "${names[@]}"; do args+=(--replica "$n=${pid[$n]}"); done
node deploy/ci/haproxy-failover.mjs "${args[@]}" || fail "failover (tests 2 and 3)"
victim=$(cat "$dir/victim")
wait "${pid[$victim]}" 2>/dev/null || true
kill -0 "${pid[$victim]}" 2>/dev/null && fail "replica $victim still runs after SIGKILL"
state=$(lb "show servers state be_mcp" | awk -v v="$victim" '$4 == v { print $6 }')
[ "$state" = 0 ] || fail "HAProxy does not show $victim down (srv_op_state $state)"
echo "HAProxy shows $victim down; $(lb "show table be_mcp" | sed -n 1p)"
# httplog's fifth connection figure is the retry count, "+N" when the request went to another replica.
echo "HAProxy sent $(grep -cE ' [0-9]+/[0-9]+/[0-9]+/[0-9]+/\+[1-9][0-9]* ' "$dir/haproxy.log" || true) requests again to another replica" \
  "($(grep -E ' [0-9]+/[0-9]+/[0-9]+/[0-9]+/\+[1-9][0-9]* ' "$dir/haproxy.log" | grep -c ' 200 ' || true) answered 200, the rest the victim's sessions' 404s)"
# A SIGKILLed gateway runs no shutdown ladder: its children see their stdin close and must end on their own.
s=$(date +%s%N); orphans=${children[$victim]}
for _ in $(seq 1 100); do
  alive=$(for c in $orphans; do if kill -0 "$c" 2>/dev/null; then echo "$c"; fi; done)
  [ -z "$alive" ] && break; sleep 0.1
done
[ -z "$alive" ] || fail "children of the killed replica $victim still run 10 s later: $alive"
echo "the killed replica's children ($orphans) ended on their own within $(ms "$s") ms (stdin closed)"
pid[$victim]=

step "the survivors stop on SIGTERM; nothing of this run is left"
kill "$lbpid"; wait "$lbpid" 2>/dev/null || true; lbpid=
for n in "${names[@]}"; do
  [ -n "${pid[$n]}" ] || continue
  kill -TERM "${pid[$n]}"
  code=0; wait "${pid[$n]}" || code=$?
  [ "$code" = 0 ] || fail "replica $n exited with $code on SIGTERM"
  pid[$n]=
done
left=$(leftovers)
[ -z "$left" ] || { ps -o pid,cmd -p $left; fail "processes of this run outlived their replicas: $left"; }
grep -q 'Server be_mcp/.* is DOWN' "$dir/haproxy.log" || fail "HAProxy's log does not show the replica going down"
echo "all replicas exited 0, no child left"
echo "haproxy-check: ok ($(( $(ms "$began") / 1000 )) s)"

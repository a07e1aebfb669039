#!/usr/bin/env bash
# Proves the syslog output against a real rsyslogd: lines from the gateway and from a child's stderr arrive with
# app-name mcproxy, the right severity, the event name as MSGID and the server in structured data — over the
# local datagram socket (RFC 5424) and over UDP (RFC 3164). Needs: rsyslog (apt), the Release build, tests/e2e
# node_modules (for the real server-memory child).
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/ci/evidence.sh
command -v rsyslogd >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rsyslog >/dev/null; }
dir=$(mktemp -d)
cleanup() { [ -f "$dir/rsyslog.pid" ] && kill "$(cat "$dir/rsyslog.pid")" 2>/dev/null || true; [ -n "${gw:-}" ] && kill "$gw" 2>/dev/null || true; }
trap cleanup EXIT
cat > "$dir/rsyslog.conf" <<CONF
global(workDirectory="$dir")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$dir/log.sock" UseSpecialParser="off" ParseHostname="on")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="5514")
template(name="fields" type="string" string="%app-name%|%syslogseverity-text%|%msgid%|%structured-data%|%msg%\n")
*.* action(type="omfile" file="$dir/out.log" template="fields")
CONF
rsyslogd -f "$dir/rsyslog.conf" -i "$dir/rsyslog.pid"
for _ in $(seq 1 100); do [ -S "$dir/log.sock" ] && break; sleep 0.05; done
memory=$(pwd)/tests/e2e/node_modules/.bin/mcp-server-memory
# MCPROXY_BIN: the native executable (CI); otherwise the Release build under the dotnet host.
gateway_cmd=(dotnet src/MCProxy/bin/Release/net10.0/MCProxy.dll)
[ -n "${MCPROXY_BIN:-}" ] && gateway_cmd=("$MCPROXY_BIN")
cat > "$dir/mcp-servers.json" <<JSON
{"servers":[{"name":"memory","command":"$memory","env":{"MEMORY_FILE_PATH":"$dir/memory.jsonl"}},
            {"name":"ghost","command":"/nonexistent/mcp-ghost"}]}
JSON
run_gateway() {  # args: extra flags; waits for "gateway ready" to reach the log, then stops the gateway
  "${gateway_cmd[@]}" --config "$dir/mcp-servers.json" --port 0 "$@" & gw=$!
  for _ in $(seq 1 200); do grep -q "gateway ready" "$dir/out.log" 2>/dev/null && break; sleep 0.1; done
  kill -TERM "$gw"; wait "$gw"; gw=
  sleep 0.5
}
run_gateway --syslog-target "unix://$dir/log.sock"
echo "--- received over the unix socket (RFC 5424):"; cat "$dir/out.log"
grep -q '^mcproxy|info|LogReady|-|gateway ready' "$dir/out.log"
grep -q '^mcproxy|info|LogStderr|\[mcproxy@32473 server="memory"\]|\[memory\] stderr: Knowledge Graph MCP Server running on stdio' "$dir/out.log"
grep -q '^mcproxy|err|LogStartFailed|\[mcproxy@32473 server="ghost"\]|\[ghost\] could not start' "$dir/out.log"
grep -q '^mcproxy|warning|LogRestarting|\[mcproxy@32473 server="ghost"\]' "$dir/out.log"
: > "$dir/out.log"
run_gateway --syslog-target udp://127.0.0.1:5514 --syslog-format rfc3164 --syslog-facility local3
echo "--- received over UDP (RFC 3164):"; head -5 "$dir/out.log"
grep -q '^mcproxy|info|-|-| \?gateway ready' "$dir/out.log"
grep -q '^mcproxy|info|-|-| \?\[memory\] stderr: Knowledge Graph' "$dir/out.log"

# Audit records: MSGID audit, who/what/outcome as structured data, and never the token.
: > "$dir/out.log"
token=syslog-audit-token-0123456789
evidence_secret "$token" wrong-token-0123456789
cat > "$dir/mcp-servers.json" <<JSON
{"servers":[{"name":"memory","command":"$memory","env":{"MEMORY_FILE_PATH":"$dir/memory.jsonl"}}],
 "auth":{"tokens":[{"name":"ci","token":"$token","allow":["*"]}]}}
JSON
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${gateway_cmd[@]}" --config "$dir/mcp-servers.json" --port "$port" --syslog-target "unix://$dir/log.sock" & gw=$!
for _ in $(seq 1 200); do grep -q "gateway ready" "$dir/out.log" 2>/dev/null && break; sleep 0.1; done
curl -fs -X POST "http://127.0.0.1:$port/sse" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"memory__read_graph","arguments":{}}}' > /dev/null
curl -s -o /dev/null -X POST "http://127.0.0.1:$port/sse" -H 'Authorization: Bearer wrong-token-0123456789' -d '{}'
for _ in $(seq 1 50); do grep -q 'outcome="unauthenticated"' "$dir/out.log" 2>/dev/null && break; sleep 0.1; done
kill -TERM "$gw"; wait "$gw"; gw=
echo "--- audit records over the unix socket:"; grep '|audit|' "$dir/out.log"
keep_evidence syslog-audit.log < "$dir/out.log"
grep -q '^mcproxy|info|audit|\[mcproxy@32473 server="memory" identity="ci" tool="memory__read_graph" outcome="ok"\]|audit ci memory memory__read_graph ok {"time"' "$dir/out.log"
grep -q '^mcproxy|info|audit|\[mcproxy@32473 server="-" identity="-" tool="-" outcome="unauthenticated"\]' "$dir/out.log"
! grep -q "$token" "$dir/out.log"
echo "syslog-check: ok"

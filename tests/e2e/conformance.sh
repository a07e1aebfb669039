#!/usr/bin/env bash
# Runs the official MCP conformance suite (server mode) against MCProxy on /mcp, fronting the real
# server-everything and our C# test server with the suite's resource fixtures. Scenarios that cannot apply to a
# prefixing gateway are listed, with the reason, in conformance-expected-failures.yml; any other failure fails.
# Needs: the Release build of src/MCProxy and of tests/MCProxy.TestServer, `npm ci` here, ../shared beside the repo.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
shims=${SHARED_DIR:-$repo/../shared}/node20-shims/node20-register.mjs
dir=$(mktemp -d)
cat > "$dir/mcp-servers.json" <<JSON
{"servers":[
  {"name":"everything","command":"$here/node_modules/.bin/mcp-server-everything","args":["stdio"]},
  {"name":"fixtures","command":"dotnet","args":["$repo/tests/MCProxy.TestServer/bin/Release/net10.0/MCProxy.TestServer.dll","--conformance-fixtures"]}
]}
JSON
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# MCPROXY_BIN: the native executable (CI); otherwise the Release build under the dotnet host.
gateway_cmd=(dotnet "$repo/src/MCProxy/bin/Release/net10.0/MCProxy.dll")
[ -n "${MCPROXY_BIN:-}" ] && gateway_cmd=("$MCPROXY_BIN")
"${gateway_cmd[@]}" --log --log-level warning --config "$dir/mcp-servers.json" --port "$port" > "$dir/gateway.log" 2>&1 &
gw=$!
trap 'kill $gw 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$port/health" | grep -q '"ready":true' && break; sleep 0.1; done
node --import "$shims" "$here/node_modules/@modelcontextprotocol/conformance/dist/index.js" server \
  --url "http://127.0.0.1:$port/mcp" --expected-failures "$here/conformance-expected-failures.yml" -o "$dir/results"
echo "conformance: ok (every scenario that can apply to a prefixing gateway passed)"

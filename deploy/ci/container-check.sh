#!/usr/bin/env bash
# Proves the container files for real with Podman (no registry: local stand-ins of the official base images, from
# ../shared/containers). Builds the image unchanged, runs it with a mounted config directory, calls /health and a
# tool through POST /sse, edits the mounted config and sees the new server's tools (hot reload through a bind
# mount), checks the quadlet with the generator and systemd-analyze, runs podman-compose up/down, and runs
# mcproxy.container under a real systemd. Fails loudly when any step cannot run.
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/ci/evidence.sh
repo=$(pwd)
shared=${SHARED_DIR:-$repo/../shared}/containers
[ -d "$shared" ] || { echo "container-check: $shared not found" >&2; exit 1; }
work=${WORK:-/tmp/mcproxy-stand-ins}
export WORK=$work
step() { printf '\n== container-check: %s\n' "$*"; }
ms() { echo $(( ($(date +%s%N)-$1)/1000000 )); }

step "podman"
bash "$shared/install-podman.sh"
# netavark needs iptables, which install-podman.sh's --no-install-recommends leaves out on some machines.
command -v iptables >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iptables >/dev/null; }

step "stand-in base images"
if ! podman image exists mcr.microsoft.com/dotnet/sdk:10.0-noble-aot || ! podman image exists mcr.microsoft.com/dotnet/runtime-deps:10.0 \
   || ! podman image exists localhost/quadlet-host:latest || [ ! -x "$work/quadlet" ]; then
  bash "$shared/build-stand-ins.sh"
fi

step "build the image from the unchanged Containerfile"
s=$(date +%s%N)
# docker format: the OCI format has no HEALTHCHECK
podman build -q --format docker -t localhost/mcproxy:latest -f Containerfile .
echo "built in $(ms "$s") ms; size: $(podman image inspect -f '{{.Size}}' localhost/mcproxy:latest | awk '{printf "%.0f MB", $1/1000000}')"
# The runtime image is the native binary on runtime-deps: no .NET runtime, no wget, no curl.
podman run --rm --entrypoint /bin/sh localhost/mcproxy:latest -c \
  'test -x /app/MCProxy && ! test -e /usr/share/dotnet && ! command -v dotnet && ! command -v wget && ! command -v curl' \
  && echo "image: native /app/MCProxy, no dotnet, wget or curl"

step "the image refuses to serve 0.0.0.0 without a token"
if out=$(podman run --rm localhost/mcproxy:latest 2>&1); then
  echo "the image started without MCPROXY_TOKEN: $out"; exit 1
fi
echo "$out" | grep -q "MCPROXY_TOKEN" && echo "refused without MCPROXY_TOKEN, naming it"

step "run with a mounted config directory"
cfg=$(mktemp -d)
token=$(openssl rand -hex 24)
evidence_secret "$token"
auth='"auth":{"tokens":[{"name":"operator","token":"${MCPROXY_TOKEN}","allow":["*"]}]}'
cat > "$cfg/mcp-servers.json" <<JSON
{"inheritEnv":false,"servers":[{"name":"memory","command":"mcp-server-memory","env":{"MEMORY_FILE_PATH":"/tmp/memory.jsonl"}}],$auth}
JSON
chmod -R a+rX "$cfg"
bearer=(-H "Authorization: Bearer $token")
podman rm -f mcproxy-ci >/dev/null 2>&1 || true
s=$(date +%s%N)
podman run -d --name mcproxy-ci -e MCPROXY_TOKEN="$token" -p 127.0.0.1:12090:12010 -v "$cfg:/etc/mcproxy:ro,Z" localhost/mcproxy:latest >/dev/null
ready=0
for _ in $(seq 1 300); do
  if curl -fs http://127.0.0.1:12090/health | grep -q '"ready":true'; then ready=1; break; fi
  sleep 0.1
done
[ "$ready" = 1 ] || { podman logs mcproxy-ci; exit 1; }
echo "ready after $(ms "$s") ms"
curl -fs http://127.0.0.1:12090/health; echo
podman healthcheck run mcproxy-ci
echo "HEALTHCHECK passes"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST http://127.0.0.1:12090/sse -d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}')
[ "$code" = 401 ] || { echo "no token: expected 401, got $code"; exit 1; }
out=$(curl -fs -X POST http://127.0.0.1:12090/sse "${bearer[@]}" -H 'Content-Type: application/json' \
  -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"memory__read_graph","arguments":{}}}')
echo "$out" | grep -q '"result"' || { echo "tools/call failed: $out"; exit 1; }
echo "401 without the token, tools/call with it"
# "inheritEnv": false: the token is in the gateway's environment (-e), not in its child's.
child=$(curl -fs "${bearer[@]}" http://127.0.0.1:12090/health | grep -o '"pid":[0-9]*' | head -1 | cut -d: -f2)
[ -n "$child" ] || { echo "no child pid in /health"; exit 1; }
childenv=$(podman exec mcproxy-ci cat "/proc/$child/environ" | tr '\0' '\n')
grep -q '^MEMORY_FILE_PATH=' <<<"$childenv" || { echo "cannot read the child's environment"; exit 1; }
if grep -q '^MCPROXY_TOKEN=' <<<"$childenv"; then echo "the child inherited MCPROXY_TOKEN"; exit 1; fi
echo "child environment: $(cut -d= -f1 <<<"$childenv" | sort | tr '\n' ' ')(no MCPROXY_TOKEN)"
pid=$(podman inspect -f '{{.State.Pid}}' mcproxy-ci)
echo "container user: $(podman exec mcproxy-ci id -u); gateway RSS: $(awk '/VmRSS/{printf "%.1f MiB", $2/1024}' /proc/$pid/status)"

step "hot reload through the bind mount (rename-save into the mounted directory)"
cat > "$cfg/.mcp-servers.json.new" <<JSON
{"inheritEnv":false,"servers":[{"name":"memory","command":"mcp-server-memory","env":{"MEMORY_FILE_PATH":"/tmp/memory.jsonl"}},
            {"name":"files","command":"mcp-server-filesystem","args":["/tmp"]}],$auth}
JSON
chmod a+r "$cfg/.mcp-servers.json.new"
s=$(date +%s%N)
mv "$cfg/.mcp-servers.json.new" "$cfg/mcp-servers.json"
seen=0
for _ in $(seq 1 200); do
  if curl -fs -X POST http://127.0.0.1:12090/sse "${bearer[@]}" -d '{"jsonrpc":"2.0","id":2,"method":"tools/list"}' | grep -q 'files__list_allowed_directories'; then seen=1; break; fi
  sleep 0.05
done
[ "$seen" = 1 ] || { podman logs mcproxy-ci | tail -20; exit 1; }
echo "new server's tools listed $(ms "$s") ms after the save"
s=$(date +%s%N); podman stop -t 10 mcproxy-ci >/dev/null; echo "podman stop in $(ms "$s") ms"
podman logs mcproxy-ci 2>&1 | grep -E "reload:|all servers stopped" 
podman logs mcproxy-ci 2>&1 | keep_evidence container.log
podman rm -f mcproxy-ci >/dev/null

step "quadlet: generator dry run and systemd-analyze verify"
units=$(mktemp -d); gen=$(mktemp -d)
cp mcproxy.container "$units/"
QUADLET_UNIT_DIRS="$units" "$work/quadlet" -dryrun -no-kmsg-log > "$gen/dryrun.txt"
grep -q '^ExecStart=.*podman run' "$gen/dryrun.txt"
QUADLET_UNIT_DIRS="$units" "$work/quadlet" -no-kmsg-log "$gen"
systemd-analyze verify "$gen/mcproxy.service"
grep -E '^(Type|Restart|WantedBy)=' "$gen/mcproxy.service"

step "podman-compose up / down"
compose=$(mktemp -d)
cp podman-compose.yml "$compose/"
mkdir -p "$compose/config"
cp "$cfg/mcp-servers.json" "$compose/config/"
# The .env sits beside the config in the mounted directory: the gateway reads it there (compose no longer loads it).
{ cat .env.example; echo "MCPROXY_TOKEN=$token"; } > "$compose/config/.env"
chmod -R a+rX "$compose/config"
(cd "$compose" && podman-compose -f podman-compose.yml up -d --no-build)
ok=0
for _ in $(seq 1 300); do curl -fs http://127.0.0.1:12010/health | grep -q '"ready":true' && { ok=1; break; }; sleep 0.1; done
[ "$ok" = 1 ] || { podman logs mcproxy | tail -20; exit 1; }
echo "compose service ready; memory limit: $(podman inspect -f '{{.HostConfig.Memory}}' mcproxy)"
podman logs mcproxy 2>&1 | keep_evidence compose.log
(cd "$compose" && podman-compose -f podman-compose.yml down)
podman network ls -q | grep -v '^podman$' | xargs -r podman network rm >/dev/null || true

step "quadlet under a real systemd"
mkdir -p /etc/mcproxy
cp "$cfg/mcp-servers.json" /etc/mcproxy/mcp-servers.json
# Read by the gateway through the mounted directory (the quadlet has no EnvironmentFile=).
{ cat .env.example; echo "MCPROXY_TOKEN=$token"; } > /etc/mcproxy/.env
chmod -R a+rX /etc/mcproxy
bash "$shared/quadlet-systemd.sh" mcproxy.container localhost/mcproxy:latest 12010 /health /etc/mcproxy
echo "container-check: ok"

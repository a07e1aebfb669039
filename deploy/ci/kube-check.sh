#!/usr/bin/env bash
# Smoke test of deploy/kubernetes with Podman 4.3's `podman kube play` (no cluster here): plays the shipped
# mcproxy.yaml unchanged, waits for the gateway's "gateway ready" event, checks what podman made of each object
# (the ConfigMap volume, the Secret as MCPROXY_TOKEN, emptyDirs, security context, limits, the liveness probe),
# calls the gateway with and without the token, performs the kubelet's AtomicWriter swap of "..data" on the
# ConfigMap volume and waits for the reload, then `podman kube down` and checks nothing is left.
# Reuses localhost/mcproxy:latest (container-check.sh builds it just before in CI), else builds it the same way.
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/ci/evidence.sh
repo=$(pwd)
shared=${SHARED_DIR:-$repo/../shared}/containers
manifest=deploy/kubernetes/mcproxy.yaml
image=localhost/mcproxy:latest
pod=mcproxy-pod-0                  # Podman names a Deployment's pods <name>-pod-<i>
ctr=$pod-mcproxy                   # and their containers <pod>-<container>
port=$(awk '/hostPort:/ {print $2; exit}' "$manifest")
host=$(awk '/hostIP:/ {print $2; exit}' "$manifest")
base=http://$host:$port
step() { printf '\n== kube-check: %s\n' "$*"; }
ms() { echo $(( ($(date +%s%N)-$1)/1000000 )); }
fail() { echo "kube-check: FAILED: $*" >&2; exit 1; }
begin=$(date +%s%N)

# Follows the container's log (new lines only, or all with "all") so a step can wait for an event the gateway logs.
follow() { coproc FOLLOW { exec timeout 300 podman logs -f --tail "$([ "${2:-}" = all ] && echo -1 || echo 0)" "$1" 2>&1; }; }
# await TEXT SECONDS: reads the followed lines until one contains TEXT (prints it); fails at the deadline or EOF.
await() {
  local line left deadline=$((SECONDS + $2))
  while left=$((deadline - SECONDS)); [ "$left" -gt 0 ]; do
    IFS= read -r -t "$left" line <&"${FOLLOW[0]}" || return 1
    if [[ $line == *"$1"* ]]; then echo "  log: $line"; return 0; fi
  done
  return 1
}
unfollow() { if [ -n "${FOLLOW_PID:-}" ]; then kill "$FOLLOW_PID" 2>/dev/null || true; wait "$FOLLOW_PID" 2>/dev/null || true; fi; }

# Removes everything this check makes; Podman 4.3's `kube down` removes the pod only (see the last step).
cleanup() {
  podman kube down "$manifest" >/dev/null 2>&1 || true
  podman secret rm mcproxy-token >/dev/null 2>&1 || true
  podman volume rm -f mcproxy-config >/dev/null 2>&1 || true
}
finished=0
on_exit() {
  unfollow
  if [ "$finished" = 0 ]; then
    echo "kube-check: cleaning up after a failure; the gateway's last lines:" >&2
    podman logs --tail 30 "$ctr" 2>&1 | grep -v -F "${token:-unset-token}" >&2 || true
    cleanup
  fi
}
trap on_exit EXIT

step "podman 4.3 and catatonit (the pause image of a kube play pod is built from it; no registry here)"
bash "$shared/install-podman.sh"
command -v iptables >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iptables >/dev/null
if ! dpkg -s catatonit >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends catatonit >/dev/null 2>&1 \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends catatonit >/dev/null; }
fi
echo "catatonit $(dpkg-query -W -f '${Version}' catatonit)"

step "image $image"
if podman image exists "$image"; then
  echo "reusing $image (built $(podman image inspect -f '{{.Created}}' "$image" | cut -d. -f1))"
else
  if ! podman image exists mcr.microsoft.com/dotnet/sdk:10.0-noble-aot || ! podman image exists mcr.microsoft.com/dotnet/runtime-deps:10.0 \
     || ! podman image exists docker.io/library/node:20-bookworm-slim; then
    WITH_SYSTEMD=0 bash "$shared/build-stand-ins.sh"
  fi
  s=$(date +%s%N)
  podman build -q --format docker -t "$image" -f Containerfile .
  echo "built in $(ms "$s") ms"
fi

if command -v kubectl >/dev/null; then
  step "kubectl kustomize deploy/kubernetes (offline): the cluster variant drops the podman-only hostPort"
  rendered=$(kubectl kustomize deploy/kubernetes)
  for kind in ConfigMap Deployment Service; do grep -q "^kind: $kind$" <<<"$rendered" || fail "kustomize output has no $kind"; done
  if grep -qE 'hostPort|hostIP' <<<"$rendered"; then fail "kustomize output still has a hostPort"; fi
  echo "ConfigMap, Deployment, Service; no hostPort"
fi

step "the example Secret (secret.yaml) cannot go live: the gateway refuses its placeholder"
placeholder=$(awk '/^  token:/ {print $2; exit}' deploy/kubernetes/secret.yaml)
if out=$(podman run --rm -e MCPROXY_TOKEN="$placeholder" "$image" 2>&1); then fail "the image started with the placeholder token"; fi
grep -q "at least 16 characters" <<<"$out" || fail "unexpected refusal: $out"
echo "refused: $(grep -o 'a token must be[^(]*' <<<"$out" | head -1)"

step "clean slate; $host:$port must be free"
cleanup
if curl -s -o /dev/null --max-time 2 "$base/health"; then fail "something already answers on $base (another gateway?)"; fi

step "the Secret: a random token as the Podman secret mcproxy-token"
# Podman 4.3 cannot feed a Secret that `kube play` stored itself (it keeps the YAML) to secretKeyRef, which reads
# JSON only (containers/podman#16269, fixed in 4.4). A secret of the JSON form {"key": base64} works on 4.3 and later.
token=$(openssl rand -hex 24)
evidence_secret "$token"
printf '{"token":"%s"}' "$(printf %s "$token" | base64 -w0)" | podman secret create mcproxy-token - >/dev/null
podman secret ls --format '{{.Name}} {{.Driver}}' | grep '^mcproxy-token '
bearer=(-H "Authorization: Bearer $token")

step "podman kube play $manifest"
s=$(date +%s%N)
podman kube play "$manifest" > /tmp/kube-play.$$ 2>&1 || { cat /tmp/kube-play.$$; rm -f /tmp/kube-play.$$; fail "kube play"; }
played=$(ms "$s")
keep_evidence kube-play.log < /tmp/kube-play.$$
rm -f /tmp/kube-play.$$
follow "$ctr" all
await "gateway ready:" 120 || fail "no \"gateway ready\" within 120 s"
echo "kube play returned in $played ms; gateway ready $(ms "$s") ms after the play started"
unfollow
health=$(curl -fsS "$base/health")
grep -q '"ready":true' <<<"$health" || fail "/health: $health"
echo "GET /health without a token: $health"
podman pod ps --filter name="^$pod\$" --format '{{.Name}} {{.Status}} containers={{.NumberOfContainers}}'
podman ps --filter pod="$pod" --format '{{.Names}} {{.Image}} {{.Status}} {{.Ports}}'

step "what podman made of the objects"
inspect() { podman inspect "$ctr" --format "$1"; }
mounts=$(inspect '{{range .Mounts}}{{.Destination}} {{.Type}}:{{.Name}} rw={{.RW}}{{"\n"}}{{end}}')
echo "$mounts"
grep -q '^/etc/mcproxy volume:mcproxy-config rw=false$' <<<"$mounts" || fail "the ConfigMap is not a read-only volume at /etc/mcproxy"
grep -q '^/tmp volume:mcproxy-tmp rw=true$' <<<"$mounts" || fail "no emptyDir at /tmp"
grep -q '^/run/mcproxy volume:mcproxy-run rw=true$' <<<"$mounts" || fail "no emptyDir at /run/mcproxy"
vol=$(podman volume inspect mcproxy-config --format '{{.Mountpoint}}')
echo "ConfigMap volume mcproxy-config on the host: $(cd "$vol" && ls -A | tr '\n' ' ')"
cmp -s "$vol/mcp-servers.json" <(podman exec "$ctr" cat /etc/mcproxy/mcp-servers.json) || fail "the mounted config differs from the volume"
for server in everything memory filesystem; do grep -q "\"name\": \"$server\"" "$vol/mcp-servers.json" || fail "the ConfigMap's $server is missing"; done
# PID 1 is the gateway: its environment, as podman built it from the Deployment's env.
[ "$(podman exec "$ctr" cat /proc/1/environ | tr '\0' '\n' | sed -n 's/^MCPROXY_TOKEN=//p')" = "$token" ] \
  || fail "MCPROXY_TOKEN of the gateway is not the secret's token"
echo "MCPROXY_TOKEN of the gateway (PID 1): the secret's token (secretKeyRef mcproxy-token/token, ${#token} characters)"
inspect 'user={{.Config.User}} readOnlyRoot={{.HostConfig.ReadonlyRootfs}} securityOpt={{.HostConfig.SecurityOpt}} capsDropped={{len .HostConfig.CapDrop}} memory={{.HostConfig.Memory}} memoryReservation={{.HostConfig.MemoryReservation}} cpuQuota={{.HostConfig.CpuQuota}}/{{.HostConfig.CpuPeriod}}'
[ "$(inspect '{{.Config.User}}')" = 1654:1654 ] || fail "not running as 1654:1654"
[ "$(inspect '{{.HostConfig.ReadonlyRootfs}}')" = true ] || fail "root filesystem is writable"
if podman exec "$ctr" touch /etc/probe 2>/dev/null; then fail "wrote to the read-only root"; fi
[ "$(inspect '{{.HostConfig.Memory}}')" = $((512 * 1024 * 1024)) ] || fail "memory limit is not 512Mi"
echo "liveness probe as podman's healthcheck: $(inspect '{{json .Config.Healthcheck.Test}}')"
podman healthcheck run "$ctr" && echo "podman healthcheck run: healthy"
# The CLI over the admin socket in the emptyDir /run/mcproxy (kubectl exec deploy/mcproxy -- mcproxy status).
# Whole output first: with pipefail, `| head | grep -q` fails at random when the reader leaves before the writer.
status=$(podman exec "$ctr" mcproxy status) || fail "mcproxy status in the pod exited non-zero"
sed -n 2p <<<"$status" | grep -q 'admin socket /run/mcproxy/mcproxy.sock' || fail "mcproxy status in the pod"
echo "mcproxy status in the pod: $(sed -n 1p <<<"$status")"

step "the gateway through the hostPort: token checks, tools/list, tools/call"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/sse" -d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}')
[ "$code" = 401 ] || fail "no token: expected 401, got $code"
wrong=wrong-$(openssl rand -hex 12)
evidence_secret "$wrong"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $wrong" -X POST "$base/sse" \
  -d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}')
[ "$code" = 401 ] || fail "wrong token: expected 401, got $code"
echo "401 without a token and with a wrong one"
rpc() { curl -fsS -X POST "$base/sse" "${bearer[@]}" -H 'Content-Type: application/json' -d "$1"; }
tools=$(rpc '{"jsonrpc":"2.0","id":2,"method":"tools/list"}')
for t in everything__echo memory__read_graph filesystem__list_allowed_directories; do grep -q "\"$t\"" <<<"$tools" || fail "tools/list lacks $t"; done
echo "POST /sse tools/list: $(grep -o '"name":"[a-z]*__' <<<"$tools" | sort | uniq -c | awk '{printf "%s %s ", $1, $2}' | tr -d '"' | sed 's/name://g')"
out=$(rpc '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"memory__create_entities","arguments":{"entities":[{"name":"kube-check","entityType":"test","observations":["written on the emptyDir /tmp"]}]}}}')
grep -q '"result"' <<<"$out" || fail "tools/call memory__create_entities: $out"
podman exec "$ctr" test -s /tmp/mcproxy-memory.jsonl || fail "the memory server wrote nothing to /tmp"
echo "POST /sse tools/call memory__create_entities: result; /tmp/mcproxy-memory.jsonl written on the emptyDir"
# A 2026-07-28 client: no initialize, no session, so any replica can answer it.
out=$(curl -fsS -X POST "$base/mcp" "${bearer[@]}" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
  -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' -H 'Mcp-Name: everything__echo' \
  -d '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"everything__echo","arguments":{"message":"from kube play"},
       "_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}')
grep -q 'Echo: from kube play' <<<"$out" || fail "stateless /mcp tools/call: $out"
echo "POST /mcp (2026-07-28, no session) tools/call everything__echo: Echo: from kube play"
# A child's environment ("inheritEnv": false): HOME from the Deployment (the emptyDir), never the token.
childenv=$(rpc '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"everything__get-env","arguments":{}}}' | node -e \
  'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const e=JSON.parse(JSON.parse(s).result.content[0].text);
   console.log(Object.keys(e).sort().join(" "), "HOME=" + e.HOME)})')
grep -q 'HOME=/tmp$' <<<"$childenv" || fail "a child's HOME is not /tmp"
if grep -qw MCPROXY_TOKEN <<<"$childenv"; then fail "a child inherited MCPROXY_TOKEN"; fi
echo "a child's environment: $childenv (no MCPROXY_TOKEN)"
cid=$(inspect '{{.Id}}')
cg=$(find /sys/fs/cgroup/memory /sys/fs/cgroup -maxdepth 4 -type d -name "*$cid*" 2>/dev/null | head -1 || true)
usage=$( { cat "$cg/memory.usage_in_bytes" || cat "$cg/memory.current"; } 2>/dev/null || echo 0)
echo "memory: pod container $((usage / 1048576)) MiB (cgroup, gateway + 3 Node servers); gateway VmRSS" \
  "$(awk '/VmRSS/ {printf "%.1f MiB", $2/1024}' "/proc/$(inspect '{{.State.Pid}}')/status")"
podman top "$ctr" pid rss args | cut -c1-100

step "live reload: the kubelet's AtomicWriter swap of ..data on the ConfigMap volume"
# Podman 4.3 never updates a ConfigMap volume (a changed file needs `kube play --replace`: a new pod). So this step
# does on the volume's host directory, behind the running container's mount, what the kubelet does on a
# ConfigMap update (pkg/volume/util/atomic_writer.go): write the new payload into a fresh timestamped directory,
# point a new "..data_tmp" link at it, rename(2) that over "..data", then delete the old directory. The user-visible
# file is a link "mcp-servers.json -> ..data/mcp-servers.json". (The functional test LiveReloadTests does the same
# in-process.)
kubelet_write() { # DIR FILE: AtomicWriter.Write of one key, mcp-servers.json, with FILE's content
  local dir=$1 ts old
  ts=..$(date -u +%Y_%m_%d_%H_%M_%S).$(printf '%09d' $((RANDOM * 32768 + RANDOM)))
  mkdir -m 0755 "$dir/$ts"
  install -m 0644 "$2" "$dir/$ts/mcp-servers.json"
  old=$(readlink "$dir/..data" || true)
  ln -s "$ts" "$dir/..data_tmp"
  mv -T "$dir/..data_tmp" "$dir/..data"
  if [ ! -L "$dir/mcp-servers.json" ]; then
    # Podman wrote a plain file; the kubelet's first write makes this link. Replace the file atomically by it.
    ln -s ..data/mcp-servers.json "$dir/..mcp-servers.json.link"
    mv -T "$dir/..mcp-servers.json.link" "$dir/mcp-servers.json"
  fi
  if [ -n "$old" ]; then rm -rf "${dir:?}/$old"; fi
}
scratch=$(mktemp -d)
cp "$vol/mcp-servers.json" "$scratch/v1.json"
kubelet_write "$vol" "$scratch/v1.json"   # the same content, now in the kubelet's layout
[ "$(podman exec "$ctr" readlink /etc/mcproxy/mcp-servers.json)" = ..data/mcp-servers.json ] || fail "layout"
echo "layout inside the pod: $(podman exec "$ctr" ls -A /etc/mcproxy | tr '\n' ' ')"
pid_of() { curl -fsS "${bearer[@]}" "$base/health" | node -e \
  'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const x=JSON.parse(s).servers.find(v=>v.name===process.argv[1]);console.log(x?x.pid:"")})' "$1"; }
memory_pid=$(pid_of memory)
# The update: "everything" removed, "notes" (another memory server) added, the rest unchanged.
node -e 'const fs=require("fs"); const c=JSON.parse(fs.readFileSync(process.argv[1]));
  c.servers=c.servers.filter(s=>s.name!=="everything");
  c.servers.push({name:"notes",command:"mcp-server-memory",env:{MEMORY_FILE_PATH:"/tmp/notes.jsonl"}});
  fs.writeFileSync(process.argv[2], JSON.stringify(c,null,2)+"\n")' "$scratch/v1.json" "$scratch/v2.json"
follow "$ctr"
s=$(date +%s%N)
kubelet_write "$vol" "$scratch/v2.json"
await "reload:" 30 || fail "no reload within 30 s of the ..data swap"
echo "reload logged $(ms "$s") ms after the swap"
unfollow
deadline=$((SECONDS + 30))
until tools=$(rpc '{"jsonrpc":"2.0","id":6,"method":"tools/list"}') && grep -q '"notes__read_graph"' <<<"$tools"; do
  [ "$SECONDS" -lt "$deadline" ] || fail "notes__read_graph not listed 30 s after the reload"
  sleep 0.05
done
echo "notes__read_graph listed $(ms "$s") ms after the swap"
if grep -q '"everything__echo"' <<<"$tools"; then fail "everything__echo still listed"; fi
[ "$(pid_of memory)" = "$memory_pid" ] || fail "the unchanged memory server was restarted"
echo "everything's tools gone; memory kept running (pid $memory_pid)"
left=$(cd "$vol" && ls -A | tr '\n' ' ')
[ "$(cd "$vol" && ls -A | grep -c '^\.\.20')" = 1 ] || fail "old timestamped directories left: $left"
echo "volume after the swap: $left"
rm -rf "$scratch"

step "graceful stop: SIGTERM, as the kubelet sends it"
s=$(date +%s%N)
# (Without systemd podman 4.3 logs that it cannot remove the healthcheck timer: expected here, filtered.)
podman pod stop "$pod" 2> >(grep -v "unable to get systemd connection" >&2) >/dev/null
echo "pod stopped in $(ms "$s") ms; gateway exit code $(inspect '{{.State.ExitCode}}')"
[ "$(inspect '{{.State.ExitCode}}')" = 0 ] || fail "the gateway did not exit 0 on SIGTERM"
podman logs "$ctr" > /tmp/kube-gateway.$$ 2>&1
grep -o "all servers stopped in [0-9]* ms" /tmp/kube-gateway.$$ || fail "no \"all servers stopped\" in the gateway's log"
keep_evidence kube-gateway.log < /tmp/kube-gateway.$$
rm -f /tmp/kube-gateway.$$

step "podman kube down; nothing left"
s=$(date +%s%N)
podman kube down "$manifest" > /tmp/kube-down.$$ 2>&1 || { cat /tmp/kube-down.$$; fail "kube down"; }
echo "kube down in $(ms "$s") ms"
keep_evidence kube-down.log < /tmp/kube-down.$$
rm -f /tmp/kube-down.$$
podman pod exists "$pod" && fail "pod $pod still exists"
[ -z "$(podman ps -a --filter pod="$pod" -q)" ] || fail "containers of $pod left"
[ -z "$(podman ps -a --filter name="^$pod" -q)" ] || fail "containers named $pod* left"
for v in mcproxy-tmp mcproxy-run; do podman volume exists "$v" && fail "emptyDir volume $v left"; done
if curl -s -o /dev/null --max-time 2 "$base/health"; then fail "$base still answers"; fi
echo "no pod, no containers, no emptyDir volumes, nothing on $base"
# Podman 4.3's `kube down` stops and removes the pods only: the Secret and the ConfigMap's volume stay behind.
kept=$( (podman secret ls --format '{{.Name}}' | grep -x mcproxy-token; podman volume ls --format '{{.Name}}' | grep -x mcproxy-config) || true)
echo "left by kube down (Podman 4.3 removes pods only): $(tr '\n' ' ' <<<"$kept")-> removed"
podman secret rm mcproxy-token >/dev/null 2>&1 || true
podman volume rm mcproxy-config >/dev/null 2>&1 || true
podman secret inspect mcproxy-token >/dev/null 2>&1 && fail "secret left"
podman volume exists mcproxy-config && fail "volume left"
finished=1
echo "kube-check: ok in $(ms "$begin") ms"

// Tests 2 and 3 of deploy/ci/haproxy-check.sh: one replica is SIGKILLed while 2026-07-28 clients load HAProxy and
// 2025-era sessions and a legacy SSE client are open on it and on the others.
//   - 2025 sessions: the official TypeScript SDK client (StreamableHTTPClientTransport: initialize, then every
//     request carries Mcp-Session-Id), opened one after the other before the load so round robin spreads them
//     over every replica; each must stay on the replica that issued it (X-Served-By of every response), and every
//     session on a surviving replica must keep calling tools without one failure, during the load and after it.
//   - one legacy SSE client (SSEClientTransport: GET /sse + POST /messages), pinned by source address; its
//     replica is never the victim, and it too must not fail once.
//   - the victim is a replica that holds sessions but not the SSE client; the load (haproxy-load.mjs) kills it
//     after --kill-after calls; each 2026 client may see at most one failed call, and none after its first.
//
//   node deploy/ci/haproxy-failover.mjs --base http://127.0.0.1:12010 --replica r1=PID --replica r2=PID
//        --replica r3=PID [--sessions 6] [--clients 8] [--calls 6000] [--kill-after 2000] [--summary FILE]
//
// MCPROXY_TOKEN, when set, is sent as the bearer token. Prints what happened and exits 1 when any assertion
// fails. The victim's name goes to --victim-file.
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runLoad, describe } from './haproxy-load.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// The SDK comes from the e2e suite's node_modules (npm ci in tests/e2e, an earlier CI stage).
const sdk = (p) => import(pathToFileURL(path.join(repo, 'tests/e2e/node_modules/@modelcontextprotocol/sdk/dist/esm', p)).href);
const { Client } = await sdk('client/index.js');
const { StreamableHTTPClientTransport } = await sdk('client/streamableHttp.js');
const { SSEClientTransport } = await sdk('client/sse.js');

const CALL_TIMEOUT_MS = 10_000; // one SDK call; a hang fails the call instead of holding the run
const PAUSE_MS = 20; // between one session's calls: they ride along the load, they are not the load
const auth = process.env.MCPROXY_TOKEN ? { Authorization: `Bearer ${process.env.MCPROXY_TOKEN}` } : {};

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const base = opt('base');
const pids = Object.fromEntries(args.flatMap((a, i) => (a === '--replica' ? [args[i + 1].split('=')] : [])).map(([n, p]) => [n, +p]));
if (!base || Object.keys(pids).length < 2) {
  console.error('usage: node deploy/ci/haproxy-failover.mjs --base http://127.0.0.1:12010 --replica r1=PID --replica r2=PID [--replica r3=PID] [--sessions 6] [--clients 8] [--calls 6000] [--kill-after 2000] [--victim-file FILE]');
  process.exit(2);
}
const sessionCount = +opt('sessions', 6);
const problems = [];
const check = (ok, message) => {
  if (!ok) problems.push(message);
};

/** A fetch that notes which replica answered (X-Served-By, set by HAProxy) for every request of one client. */
function trackingFetch(seen) {
  return async (url, init) => {
    const response = await fetch(url, init);
    const by = response.headers.get('x-served-by');
    if (by) seen.push(`${init?.method ?? 'GET'} ${by}`);
    return response;
  };
}

/** An SDK client with its own record: replica answers seen, calls made, failures with the time they happened. */
async function open(kind, index) {
  const seen = [];
  const url = new URL(kind === 'sse' ? `${base}/sse` : `${base}/mcp`);
  const options = { fetch: trackingFetch(seen), requestInit: { headers: auth } };
  const transport = kind === 'sse' ? new SSEClientTransport(url, options) : new StreamableHTTPClientTransport(url, options);
  const client = new Client({ name: `haproxy-check-${kind}-${index}`, version: '1.0.0' });
  const record = { name: `${kind}-${index}`, kind, client, transport, seen, calls: 0, failures: [], transportErrors: 0 };
  client.onerror = () => record.transportErrors++; // e.g. a GET stream cut by the kill: counted, not fatal
  await client.connect(transport);
  record.replica = seen[0].split(' ')[1]; // the replica that answered initialize (or GET /sse)
  return record;
}

async function callOnce(s, when) {
  const message = `${s.name}-${s.calls}`;
  s.calls++;
  try {
    const result = await s.client.callTool({ name: 'echo__echo', arguments: { message } }, undefined, { timeout: CALL_TIMEOUT_MS });
    if (result.isError || result.content?.[0]?.text !== message) throw new Error(`unexpected result ${JSON.stringify(result).slice(0, 200)}`);
  } catch (e) {
    s.failures.push({ when, error: String(e?.message ?? e).slice(0, 200) });
  }
}

const sessions = [];
for (let i = 1; i <= sessionCount; i++) sessions.push(await open('mcp', i));
const sse = await open('sse', 1);
for (const s of [...sessions, sse]) await callOnce(s, 'before');
const byReplica = {};
for (const s of sessions) (byReplica[s.replica] ??= []).push(s.name);
console.log(`sessions: ${Object.keys(byReplica).sort().map((r) => `${r} ${byReplica[r].join(' ')}`).join('; ')}; legacy SSE client on ${sse.replica}`);
for (const r of Object.keys(pids)) check(byReplica[r]?.length > 0, `no 2025 session landed on ${r}: ${JSON.stringify(byReplica)}`);
const victim = Object.keys(pids).sort().find((r) => r !== sse.replica && byReplica[r]?.length > 0);
if (!victim) {
  console.error(`no replica holds a session without the SSE client: ${JSON.stringify(byReplica)}, SSE on ${sse.replica}`);
  process.exit(1);
}
if (opt('victim-file')) writeFileSync(opt('victim-file'), `${victim}\n`);
console.log(`victim: ${victim} (pid ${pids[victim]}), SIGKILL after ${opt('kill-after', 2000)} calls of the load`);

// The sessions and the SSE client keep calling while the load runs and the victim dies.
let loadRunning = true;
let killed = false;
const riders = [...sessions, sse].map(async (s) => {
  while (loadRunning) {
    await callOnce(s, killed ? 'after' : 'during');
    await new Promise((r) => setTimeout(r, PAUSE_MS));
  }
});
const load = await runLoad({
  url: `${base}/mcp`, clients: +opt('clients', 8), calls: +opt('calls', 6000), label: 'failover',
  kill: { pid: pids[victim], afterCalls: +opt('kill-after', 2000), onKill: () => { killed = true; } },
});
loadRunning = false;
await Promise.all(riders);
// After the load: every survivor's session answers again, on its own replica.
for (const s of [...sessions, sse]) await callOnce(s, 'after');

console.log(describe(load));
// Test 2: a killed replica costs each 2026 client at most one failed call, none after its first.
check(load.killedAt !== null, 'the victim was never killed (the load ended first?)');
for (const c of load.clientsDetail) {
  check(c.failures <= 1, `2026 client ${c.client} failed ${c.failures} calls (at most 1 allowed): first ${JSON.stringify(c.firstFailure)}`);
  check(c.failuresAfterFirst === 0, `2026 client ${c.client} failed again after its first failure`);
}
const survivors = Object.keys(pids).filter((r) => r !== victim);
for (const r of survivors) check((load.servedByAfterKill[r] ?? 0) > 0, `${r} answered nothing after the kill`);
// A response the victim sent just before dying may be read just after; one per client at most.
check((load.servedByAfterKill[victim] ?? 0) <= load.clients, `${victim} answered ${load.servedByAfterKill[victim]} calls after it was killed`);
const failed2026 = load.clientsDetail.filter((c) => c.failures > 0).length;
console.log(`failover: 2026 clients with a failed call: ${failed2026} of ${load.clients}; failed calls: ${load.errors}`);

// Test 3: sessions on survivors never failed and never moved; the legacy SSE client likewise.
for (const s of [...sessions, sse]) {
  const replicas = [...new Set(s.seen.map((x) => x.split(' ')[1]))];
  const onVictim = s.replica === victim;
  const line = `${s.name} on ${s.replica}${onVictim ? ' (victim)' : ''}: ${s.calls} calls, ${s.failures.length} failed` +
    (s.failures.length ? ` (first ${s.failures[0].when}: ${s.failures[0].error})` : '') + `, answered by ${replicas.join(' ')}`;
  console.log(`session: ${line}`);
  if (!onVictim) {
    check(s.failures.length === 0, `session ${line}`);
    check(replicas.length === 1, `session ${s.name} was answered by ${replicas.join(', ')}, not only by ${s.replica}`);
  }
}
const onSurvivors = sessions.filter((s) => s.replica !== victim);
console.log(`sessions: ${onSurvivors.length} on surviving replicas (${survivors.join(', ')}) kept working through the kill: ` +
  `${onSurvivors.filter((s) => s.failures.length === 0).length}/${onSurvivors.length}; legacy SSE on ${sse.replica}: ${sse.failures.length === 0 ? 'ok' : 'FAILED'}`);

// A session that died with the victim is answered 404 "Session not found" by whichever replica gets its requests
// now; the spec's remedy is a new initialize, which HAProxy balances over the survivors like any other.
for (const dead of sessions.filter((s) => s.replica === victim)) {
  check(dead.failures.length > 0, `${dead.name} on the killed ${victim} never failed: was it really there?`);
  const fresh = await open('mcp', `${dead.name.slice('mcp-'.length)}-again`);
  await callOnce(fresh, 'after');
  console.log(`session: ${dead.name} initialized again: ${fresh.name} on ${fresh.replica}, ${fresh.failures.length ? `FAILED: ${fresh.failures[0].error}` : 'calls work'}`);
  check(fresh.failures.length === 0 && fresh.replica !== victim, `the new session for ${dead.name}: ${fresh.replica}, ${JSON.stringify(fresh.failures)}`);
  sessions.push(fresh);
}

for (const s of sessions.filter((x) => x.replica !== victim)) {
  try {
    await s.transport.terminateSession(); // DELETE /mcp, pinned like the rest
  } catch (e) {
    problems.push(`DELETE of ${s.name}: ${e.message}`);
  }
}
await Promise.allSettled([...sessions, sse].map((s) => s.client.close()));
if (opt('summary')) writeFileSync(opt('summary'), JSON.stringify({ victim, load, sessions: sessions.map(({ client, transport, ...s }) => s) }, null, 1));
for (const p of problems) console.error(`FAILED: ${p}`);
process.exit(problems.length ? 1 : 0);

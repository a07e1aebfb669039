// Load client of deploy/ci/haproxy-check.sh: several MCP 2026-07-28 clients (stateless: no initialize, no
// Mcp-Session-Id) each sending tools/call one after the other through HAProxy, over keep-alive connections. Every
// answer is checked against its request (the echoed text is unique per call). Counts the replica that answered
// each call from the X-Served-By header deploy/haproxy/haproxy.cfg adds. Optionally SIGKILLs a replica after a
// number of calls, and then also counts each client's failures before and after that moment.
//
//   node deploy/ci/haproxy-load.mjs --url http://127.0.0.1:12010/mcp [--clients 8] [--calls 10000]
//        [--tool echo__echo] [--summary FILE] [--expect-replicas r1,r2,r3]
// MCPROXY_TOKEN, when set, is sent as the bearer token.
//
// Exit code 1 when any call failed, or when --expect-replicas is given and a replica answered less than 80 % of
// its even share (round robin should give each the same), or another replica answered.
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CALL_TIMEOUT_MS = 30_000; // one call; a hung request fails the run instead of hanging it
// With an auth section in the gateways' config: the bearer token, from the environment (never the command line).
const auth = process.env.MCPROXY_TOKEN ? { Authorization: `Bearer ${process.env.MCPROXY_TOKEN}` } : {};

/** One 2026-07-28 tools/call: resolves { ok, servedBy, error, status }. Never rejects. */
function call(agent, url, tool, id, message) {
  const body = JSON.stringify({
    jsonrpc: '2.0', id, method: 'tools/call',
    params: {
      name: tool, arguments: { message },
      _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} },
    },
  });
  return new Promise((resolve) => {
    const req = http.request(url, {
      method: 'POST', agent, timeout: CALL_TIMEOUT_MS,
      headers: {
        'Content-Type': 'application/json', 'Accept': 'application/json, text/event-stream',
        'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': 'tools/call', 'Mcp-Name': tool,
        'Content-Length': Buffer.byteLength(body), ...auth,
      },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', (e) => resolve({ ok: false, status: res.statusCode, error: `response: ${e.message}` }));
      res.on('end', () => {
        const servedBy = res.headers['x-served-by'];
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) return resolve({ ok: false, status: res.statusCode, servedBy, error: `HTTP ${res.statusCode}: ${text.slice(0, 200)}` });
        try {
          const answer = JSON.parse(text);
          const result = answer.result;
          if (answer.id !== id || result?.resultType !== 'complete' || result.isError || result.content?.[0]?.text !== message) {
            return resolve({ ok: false, status: 200, servedBy, error: `unexpected answer: ${text.slice(0, 200)}` });
          }
          resolve({ ok: true, servedBy });
        } catch (e) {
          resolve({ ok: false, status: 200, servedBy, error: `not JSON: ${text.slice(0, 200)}` });
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${CALL_TIMEOUT_MS} ms`)));
    req.on('error', (e) => resolve({ ok: false, error: `request: ${e.message}` }));
    req.end(body);
  });
}

/**
 * Runs `calls` tools/call over `clients` concurrent clients (each one connection, one call at a time).
 * kill: { pid, afterCalls, onKill } SIGKILLs that process once that many calls completed, then calls onKill.
 * Returns { calls, errors, seconds, callsPerSecond, servedBy, clients: [{ ok, failures, failuresAfterFirst, … }],
 *           killedAt, servedByAfterKill, errorSamples }.
 */
export async function runLoad({ url, clients = 8, calls = 10_000, tool = 'echo__echo', kill = null, label = 'load' }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  let started = 0;
  let completed = 0;
  let killedAt = null;
  const servedBy = {};
  const servedByAfterKill = {};
  const errorSamples = [];
  const perClient = [];
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  async function client(index) {
    const me = { client: index, ok: 0, failures: 0, failuresAfterFirst: 0, firstFailure: null, failuresAfterKill: 0 };
    perClient.push(me);
    while (started < calls) {
      const n = ++started;
      const r = await call(agent, url, tool, n, `c${index}-${n}`);
      completed++;
      if (r.servedBy) {
        servedBy[r.servedBy] = (servedBy[r.servedBy] ?? 0) + 1;
        if (killedAt !== null) servedByAfterKill[r.servedBy] = (servedByAfterKill[r.servedBy] ?? 0) + 1;
      }
      if (r.ok) {
        me.ok++;
      } else {
        if (me.failures > 0) me.failuresAfterFirst++;
        else me.firstFailure = { call: n, error: r.error };
        me.failures++;
        if (killedAt !== null) me.failuresAfterKill++;
        if (errorSamples.length < 10) errorSamples.push(`client ${index} call ${n}: ${r.error}${r.servedBy ? ` (from ${r.servedBy})` : ''}`);
      }
      if (kill && killedAt === null && completed >= kill.afterCalls) {
        process.kill(kill.pid, 'SIGKILL');
        killedAt = completed;
        kill.onKill?.();
      }
    }
  }
  await Promise.all(Array.from({ length: clients }, (_, i) => client(i + 1)));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  const errors = perClient.reduce((s, c) => s + c.failures, 0);
  const summary = {
    label, calls: completed, errors, clients, seconds: +seconds.toFixed(3), callsPerSecond: Math.round(completed / seconds),
    clientCpuMicrosPerCall: Math.round((cpu.user + cpu.system) / completed),
    servedBy, killedAt, servedByAfterKill, clientsDetail: perClient.sort((a, b) => a.client - b.client), errorSamples,
  };
  return summary;
}

/** The human lines of a summary. */
export function describe(s) {
  const by = (o) => Object.keys(o).sort().map((k) => `${k} ${o[k]}`).join(', ') || 'nobody';
  const lines = [`${s.label}: ${s.calls} calls, ${s.errors} errors, ${s.clients} clients, ${s.seconds} s, ${s.callsPerSecond} calls/s (client CPU ${s.clientCpuMicrosPerCall} µs/call)`,
    `${s.label}: answered by ${by(s.servedBy)}`];
  if (s.killedAt !== null) lines.push(`${s.label}: replica killed after call ${s.killedAt}; afterwards answered by ${by(s.servedByAfterKill)}`);
  for (const e of s.errorSamples) lines.push(`${s.label}: error: ${e}`);
  return lines.join('\n');
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : fallback;
  };
  const url = opt('url');
  if (!url) {
    console.error('usage: node deploy/ci/haproxy-load.mjs --url http://127.0.0.1:12010/mcp [--clients 8] [--calls 10000] [--tool echo__echo] [--summary FILE] [--expect-replicas r1,r2,r3] [--label NAME]');
    process.exit(2);
  }
  const s = await runLoad({ url, clients: +opt('clients', 8), calls: +opt('calls', 10_000), tool: opt('tool', 'echo__echo'), label: opt('label', 'load') });
  console.log(describe(s));
  if (opt('summary')) writeFileSync(opt('summary'), JSON.stringify(s, null, 1));
  let failed = s.errors > 0;
  const expected = opt('expect-replicas')?.split(',');
  if (expected) {
    const share = s.calls / expected.length;
    for (const r of expected) {
      if ((s.servedBy[r] ?? 0) < 0.8 * share) {
        console.error(`${s.label}: ${r} answered ${s.servedBy[r] ?? 0} calls, under 80 % of its round-robin share ${Math.round(share)}`);
        failed = true;
      }
    }
    for (const r of Object.keys(s.servedBy)) {
      if (!expected.includes(r)) {
        console.error(`${s.label}: ${r} answered although only ${expected.join(', ')} should`);
        failed = true;
      }
    }
  }
  process.exit(failed ? 1 : 0);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();

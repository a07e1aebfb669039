// End-to-end on the 2026-07-28 revision: real curl (as an operator or a script would drive it) sends per-request
// requests with the revision's headers (MCP-Protocol-Version, Mcp-Method, Mcp-Name) and `_meta` keys to the native
// gateway fronting real npm servers — server/discover, tools/list, tools/call, the revision's errors, and
// subscriptions/listen read with `curl -N` — while the official TypeScript SDK client (a 2025-era client, with a
// session) lists and calls tools on the same gateway at the same time. A second gateway with an auth token answers a
// 2026 POST only with the token.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startGateway, stopGateway, evidenceSecrets, keepEvidence } from './gateway.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'mcproxy-e2e-stateless-'));
const CURL = '/usr/bin/curl';
const REVISION = '2026-07-28';
const TOKEN = 'e2e-stateless-token-0123456789abcdef';
const bin = (name) => path.join(here, 'node_modules', '.bin', name);

let open;    // the gateway without auth
let guarded; // the gateway with an auth token

before(async () => {
  const servers = [
    { name: 'everything', command: bin('mcp-server-everything'), args: ['stdio'] },
    { name: 'memory', command: bin('mcp-server-memory'), env: { MEMORY_FILE_PATH: path.join(dir, 'memory.jsonl') } },
  ];
  writeFileSync(path.join(dir, 'open.json'), JSON.stringify({ servers }));
  writeFileSync(path.join(dir, 'guarded.json'), JSON.stringify({
    servers: [servers[1]],
    auth: { tokens: [{ name: 'script', token: TOKEN, allow: ['*'] }] },
  }));
  evidenceSecrets(TOKEN);
  [open, guarded] = await Promise.all([startGateway(path.join(dir, 'open.json')), startGateway(path.join(dir, 'guarded.json'))]);
});

after(async () => {
  await Promise.all([stopGateway(open?.process), stopGateway(guarded?.process)]);
  for (const [name, gateway] of [['stateless', open], ['stateless-auth', guarded]]) {
    if (!gateway) continue;
    keepEvidence(name, gateway.output());
    assert.ok(!gateway.output().includes(TOKEN), 'the token reached the log');
  }
  rmSync(dir, { recursive: true, force: true });
});

const meta = { 'io.modelcontextprotocol/protocolVersion': REVISION, 'io.modelcontextprotocol/clientInfo': { name: 'curl', version: '8' },
  'io.modelcontextprotocol/clientCapabilities': {} };

/** The curl arguments of one 2026-07-28 POST: the routing headers, and the _meta keys in the body. */
function curlArgs(url, { id = 1, method, params = {}, name, version = REVISION, token, extra = [] }) {
  const body = JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: { ...meta, 'io.modelcontextprotocol/protocolVersion': version } } });
  const args = ['-sS', '-X', 'POST', `${url}/mcp`, '-H', 'Content-Type: application/json', '-H', 'Accept: application/json, text/event-stream',
    '-H', `MCP-Protocol-Version: ${version}`, '-H', `Mcp-Method: ${method}`, ...extra, '--data-binary', body];
  if (name !== undefined) args.push('-H', `Mcp-Name: ${name}`);
  if (token) args.push('-H', `Authorization: Bearer ${token}`);
  return args;
}

/** One POST with curl; resolves with the HTTP status and the parsed JSON body. */
function curl(url, request) {
  return new Promise((resolve, reject) => {
    execFile(CURL, [...curlArgs(url, request), '-w', '\n%{http_code}'], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`curl failed: ${error.message}\n${stderr}`));
      const cut = stdout.lastIndexOf('\n');
      const text = stdout.slice(0, cut);
      let body = text;
      try { body = text ? JSON.parse(text) : null; } catch { /* not JSON: kept as text for the assertion message */ }
      resolve({ status: Number(stdout.slice(cut + 1)), body });
    });
  });
}

/** subscriptions/listen with `curl -N`: the event stream as it comes, one parsed message per `data:` line. */
function listen(url, id, notifications) {
  const child = spawn(CURL, ['-N', ...curlArgs(url, { id, method: 'subscriptions/listen', params: { notifications } })], { stdio: ['ignore', 'pipe', 'pipe'] });
  const messages = [];
  const waiters = [];
  let buffered = '';
  let ended = false;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.startsWith('data: ')) messages.push(JSON.parse(line.slice(6)));
    }
    while (messages.length && waiters.length) waiters.shift().resolve(messages.shift());
  });
  child.on('exit', () => { ended = true; for (const w of waiters.splice(0)) w.reject(new Error('the listen stream ended')); });
  return {
    next: (ms = 30_000) => new Promise((resolve, reject) => {
      if (messages.length) return resolve(messages.shift());
      if (ended) return reject(new Error('the listen stream ended'));
      const timer = setTimeout(() => reject(new Error(`no message on the listen stream within ${ms} ms`)), ms);
      waiters.push({ resolve: (m) => { clearTimeout(timer); resolve(m); }, reject: (e) => { clearTimeout(timer); reject(e); } });
    }),
    close: () => new Promise((resolve) => { if (ended) return resolve(); child.on('exit', resolve); child.kill('SIGTERM'); }),
  };
}

/** Polls /health (as startGateway does) until its session count is `count`: a listen stream is a session there. */
async function sessions(url, count) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const health = await (await fetch(`${url}/health`)).json();
    if (health.sessions === count) return;
    if (Date.now() > deadline) throw new Error(`sessions stayed ${health.sessions}, expected ${count}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('curl (2026-07-28, no session) and the TypeScript SDK client (2025, a session) on one gateway at the same time', async () => {
  const url = open.baseUrl;

  // server/discover: the versions served per request, what listen can deliver, the gateway's identity.
  const discover = await curl(url, { method: 'server/discover' });
  assert.equal(discover.status, 200, JSON.stringify(discover.body));
  assert.deepEqual(discover.body.result.supportedVersions, [REVISION]);
  assert.equal(discover.body.result.capabilities.tools.listChanged, true);
  assert.equal(discover.body.result._meta['io.modelcontextprotocol/serverInfo'].name, 'mcproxy');

  // A resource of the real server to listen for (listed without a session too).
  const resources = await curl(url, { method: 'resources/list' });
  assert.equal(resources.status, 200, JSON.stringify(resources.body));
  const uri = resources.body.result.resources[0]?.uri;
  assert.ok(uri, JSON.stringify(resources.body));

  // subscriptions/listen with curl -N: the acknowledgement comes first, tagged with the request's id.
  const stream = listen(url, 'listen-1', { toolsListChanged: true, promptsListChanged: true, resourceSubscriptions: [uri, 'nope://nothing'] });
  const sdk = new Client({ name: 'mcproxy-e2e-stateless', version: '1.0.0' });
  try {
    const ack = await stream.next();
    assert.equal(ack.method, 'notifications/subscriptions/acknowledged', JSON.stringify(ack));
    assert.deepEqual(ack.params.notifications, { toolsListChanged: true, promptsListChanged: true, resourceSubscriptions: [uri] });
    assert.equal(ack.params._meta['io.modelcontextprotocol/subscriptionId'], 'listen-1');

    // While the stream is open: curl calls without a session and the 2025 client with its session, concurrently.
    await sdk.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
    const [list, call, sdkTools, sdkEcho] = await Promise.all([
      curl(url, { id: 2, method: 'tools/list' }),
      curl(url, { id: 3, method: 'tools/call', name: 'everything__echo', params: { name: 'everything__echo', arguments: { message: 'from curl' } } }),
      sdk.listTools(),
      sdk.callTool({ name: 'everything__echo', arguments: { message: 'from the 2025 client' } }),
    ]);
    assert.equal(list.status, 200);
    assert.equal(list.body.result.resultType, 'complete');
    const names = list.body.result.tools.map((t) => t.name);
    for (const expected of ['everything__echo', 'memory__read_graph', 'mcproxy__status']) assert.ok(names.includes(expected), names.join(', '));
    assert.equal(call.status, 200, JSON.stringify(call.body));
    assert.equal(call.body.id, 3);
    assert.match(call.body.result.content[0].text, /from curl/);
    assert.deepEqual(sdkTools.tools.map((t) => t.name).sort(), [...names].sort());
    assert.match(sdkEcho.content[0].text, /from the 2025 client/);
    assert.ok(sdk.transport.sessionId, 'the 2025 client has a session');
    await sessions(url, 2); // the 2025 session and the listen stream

    // The revision's errors: a routing header that disagrees with the body; a version the gateway does not serve.
    const mismatch = await curl(url, { id: 4, method: 'tools/call', name: 'everything__other', params: { name: 'everything__echo', arguments: { message: 'x' } } });
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.body.error.code, -32020, JSON.stringify(mismatch.body));
    const unsupported = await curl(url, { id: 5, method: 'tools/list', version: '2027-01-01' });
    assert.equal(unsupported.status, 400);
    assert.equal(unsupported.body.error.code, -32022, JSON.stringify(unsupported.body));
    assert.deepEqual(unsupported.body.error.data.supported, [REVISION]);
    // curl goes away: its listen stream is gone with it; the 2025 session lives until the client ends it (DELETE).
    await stream.close();
    await sessions(url, 1);
    await sdk.transport.terminateSession();
    await sessions(url, 0);
  } finally {
    await sdk.close();
    await stream.close();
  }
});

test('a 2026 POST to a gateway with auth: 401 without the token, the answer with it', async () => {
  const request = { id: 'a1', method: 'tools/call', name: 'memory__read_graph', params: { name: 'memory__read_graph', arguments: {} } };
  const refused = await curl(guarded.baseUrl, request);
  assert.equal(refused.status, 401);
  const answered = await curl(guarded.baseUrl, { ...request, token: TOKEN });
  assert.equal(answered.status, 200, JSON.stringify(answered.body));
  assert.equal(answered.body.id, 'a1');
  assert.equal(answered.body.result.resultType, 'complete');
  assert.ok(!answered.body.result.isError, JSON.stringify(answered.body));
});

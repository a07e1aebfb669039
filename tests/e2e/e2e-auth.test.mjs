// End-to-end with an auth section: three identities (two static tokens and a JWT from a local JWKS, signed with a
// generated RSA key) × three real npm servers (everything, memory, filesystem), driven by the official TypeScript
// SDK client sending the header on both transports and by plain fetch as curl would. Each real server runs behind a
// counting shim, so the suite proves a denied call never reached its child.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, stopGateway, evidenceSecrets, keepEvidence } from './gateway.mjs';
import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'mcproxy-e2e-auth-'));
const files = path.join(dir, 'files');
const audit = path.join(dir, 'audit.jsonl');
const ADMIN = 'e2e-admin-token-0123456789abcdef';
const MEMORY_ONLY = 'e2e-memory-token-0123456789abcd';
const ISSUER = 'https://id.example/realms/mcp';

// The identity provider: a JWKS on loopback (an http jwksUrl is allowed only there) and a key to sign with.
const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwks = { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'e2e-key', alg: 'RS256', use: 'sig' }] };
const idp = createServer((req, res) => { res.setHeader('Content-Type', 'application/json'); res.end(JSON.stringify(jwks)); });
const b64 = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
function jwt(claims) {
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'e2e-key' })}.${b64({ iss: ISSUER, aud: 'mcproxy', iat: now, nbf: now - 5, exp: now + 600, ...claims })}`;
  return `${body}.${sign('sha256', Buffer.from(body), privateKey).toString('base64url')}`;
}

// The policy under test, as the config states it, and the same rule in plain JS to compute what each must see.
const READER = { allow: ['*__read_*', '*__list_*', '*__search_*'], deny: ['filesystem__*'] };
const identities = {
  admin: { policy: { allow: ['*'], deny: [] }, token: () => ADMIN },
  'memory-bot': { policy: { allow: ['memory__*'], deny: [] }, token: () => MEMORY_ONLY },
  rita: { policy: READER, token: () => jwt({ preferred_username: 'rita', realm_access: { roles: ['reader'] } }) },
};
const glob = (pattern) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
const allowed = ({ allow, deny }, name) => allow.some((p) => glob(p).test(name)) && !deny.some((p) => glob(p).test(name));
// One call per real server; the reader's filesystem probe matches its allow (*__list_*) and its deny: deny wins.
const probes = [
  { server: 'everything', tool: 'everything__echo', args: { message: 'probe' } },
  { server: 'memory', tool: 'memory__read_graph', args: {} },
  { server: 'filesystem', tool: 'filesystem__list_allowed_directories', args: {} },
];
const calls = (server) => (existsSync(path.join(dir, `${server}.calls`)) ? readFileSync(path.join(dir, `${server}.calls`), 'utf8').split('\n').filter(Boolean) : []);

let gateway;
let baseUrl;

before(async () => {
  await new Promise((r) => idp.listen(0, '127.0.0.1', r));
  const bin = (name) => path.join(here, 'node_modules', '.bin', name);
  const counted = (name, command, ...args) => ({ name, command: process.execPath, args: [path.join(here, 'counting-shim.mjs'), path.join(dir, `${name}.calls`), bin(command), ...args] });
  mkdirSync(files);
  writeFileSync(path.join(dir, 'mcp-servers.json'), JSON.stringify({
    servers: [
      counted('everything', 'mcp-server-everything', 'stdio'),
      { ...counted('memory', 'mcp-server-memory'), env: { MEMORY_FILE_PATH: path.join(dir, 'memory.jsonl') } },
      counted('filesystem', 'mcp-server-filesystem', files),
    ],
    auth: {
      tokens: [
        { name: 'admin', token: '${ADMIN_TOKEN}', allow: ['*'] },
        { name: 'memory-bot', token: MEMORY_ONLY, allow: ['memory__*'] },
      ],
      jwt: { issuer: ISSUER, audience: 'mcproxy', jwksUrl: `http://127.0.0.1:${idp.address().port}/jwks`,
        nameClaim: 'preferred_username', rolesClaim: 'realm_access.roles' },
      roles: { reader: READER },
    },
    audit: { file: audit },
  }));
  writeFileSync(path.join(dir, '.env'), `ADMIN_TOKEN=${ADMIN}\n`);
  evidenceSecrets(ADMIN, MEMORY_ONLY);
  gateway = await startGateway(path.join(dir, 'mcp-servers.json'));
  baseUrl = gateway.baseUrl;
});

after(async () => {
  await stopGateway(gateway?.process);
  idp.close();
  if (gateway) {
    keepEvidence('auth', gateway.output(), [audit]);
    // No token ever reaches the gateway's output (its log).
    for (const token of [ADMIN, MEMORY_ONLY]) assert.ok(!gateway.output().includes(token), 'a token reached the log');
  }
  rmSync(dir, { recursive: true, force: true });
});

async function connect(kind, token) {
  evidenceSecrets(token);
  const client = new Client({ name: 'mcproxy-e2e-auth', version: '1.0.0' });
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const withHeader = (url, init) => fetch(url, { ...init, headers: { ...(init?.headers ?? {}), ...headers } });
  const transport = kind === 'sse'
    ? new SSEClientTransport(new URL(`${baseUrl}/sse`), { requestInit: { headers }, eventSourceInit: { fetch: withHeader } })
    : new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), { requestInit: { headers } });
  await client.connect(transport);
  return client;
}

test('policy matrix: 3 identities × 3 real servers, listing and calling; a denied call never reaches the child', async () => {
  const clients = Object.fromEntries(await Promise.all(
    Object.entries(identities).map(async ([name, who]) => [name, await connect('streamable', who.token())])));
  try {
    const everything = (await clients.admin.listTools()).tools.map((t) => t.name).sort();
    for (const server of ['everything', 'memory', 'filesystem']) {
      assert.ok(everything.some((n) => n.startsWith(`${server}__`)), `admin sees no ${server} tool: ${everything.join(', ')}`);
    }
    const before = Object.fromEntries(probes.map((p) => [p.server, calls(p.server).length]));
    for (const [name, who] of Object.entries(identities)) {
      const seen = (await clients[name].listTools()).tools.map((t) => t.name).sort();
      assert.deepEqual(seen, everything.filter((n) => allowed(who.policy, n)), `${name}'s tools/list`);
      for (const probe of probes) {
        if (allowed(who.policy, probe.tool)) {
          const result = await clients[name].callTool({ name: probe.tool, arguments: probe.args });
          assert.ok(!result.isError, `${name} → ${probe.tool}: ${JSON.stringify(result)}`);
        } else {
          await assert.rejects(() => clients[name].callTool({ name: probe.tool, arguments: probe.args }),
            (e) => e.code === -32003, `${name} → ${probe.tool} should be denied`);
        }
      }
    }
    // Each child got exactly the calls policy let through, counted by the shim in front of it.
    for (const probe of probes) {
      const expected = Object.values(identities).filter((who) => allowed(who.policy, probe.tool)).length;
      assert.equal(calls(probe.server).length - before[probe.server], expected, `${probe.server} received`);
    }
    // The rows the matrix is about, spelled out: the reader's list matches and its deny wins.
    assert.ok(!allowed(READER, 'filesystem__list_allowed_directories') && allowed(READER, 'memory__read_graph'));
  } finally {
    await Promise.all(Object.values(clients).map((c) => c.close()));
  }
  // The audit file names who was refused what, the JWT identity by its name claim.
  const records = readFileSync(audit, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.ok(records.some((r) => r.identity === 'rita' && r.tool === 'filesystem__list_allowed_directories' && r.outcome === 'denied'), JSON.stringify(records));
  assert.ok(records.some((r) => r.identity === 'rita' && r.tool === 'memory__read_graph' && r.outcome === 'ok'));
});

for (const kind of ['streamable', 'sse']) {
  test(`${kind}: without a token the client cannot connect`, async () => {
    await assert.rejects(() => connect(kind, null));
  });

  test(`${kind}: each identity sees and calls only what its policy allows`, async () => {
    const admin = await connect(kind, ADMIN);
    const bot = await connect(kind, MEMORY_ONLY);
    try {
      const all = (await admin.listTools()).tools.map((t) => t.name);
      assert.ok(all.includes('everything__echo') && all.includes('memory__read_graph'), all.join(', '));
      const mine = (await bot.listTools()).tools.map((t) => t.name);
      assert.ok(mine.length > 0 && mine.every((n) => n.startsWith('memory__')), mine.join(', '));
      const graph = await bot.callTool({ name: 'memory__read_graph', arguments: {} });
      assert.ok(!graph.isError);
      await assert.rejects(() => bot.callTool({ name: 'everything__echo', arguments: { message: 'no' } }), (e) => e.code === -32003);
      const echo = await admin.callTool({ name: 'everything__echo', arguments: { message: `ok over ${kind}` } });
      assert.match(echo.content[0].text, new RegExp(`ok over ${kind}`));
    } finally {
      await admin.close();
      await bot.close();
    }
  });
}

test('plain POST /sse (curl): 401 with resource metadata without a token, an answer with one', async () => {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'memory__read_graph', arguments: {} } });
  const refused = await fetch(`${baseUrl}/sse`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  assert.equal(refused.status, 401);
  assert.match(refused.headers.get('www-authenticate'), /resource_metadata=/);
  const answered = await fetch(`${baseUrl}/sse`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${MEMORY_ONLY}` }, body });
  assert.equal(answered.status, 200);
  assert.equal((await answered.json()).id, 1);
});

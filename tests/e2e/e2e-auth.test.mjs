// End-to-end with an auth section: the real memory and everything servers behind bearer tokens, driven by the
// official TypeScript SDK client sending the header on both transports, and by plain fetch as curl would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, stopGateway } from './gateway.mjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'mcproxy-e2e-auth-'));
const ADMIN = 'e2e-admin-token-0123456789abcdef';
const MEMORY_ONLY = 'e2e-memory-token-0123456789abcd';
let gateway;
let baseUrl;

before(async () => {
  const bin = (name) => path.join(here, 'node_modules', '.bin', name);
  writeFileSync(path.join(dir, 'mcp-servers.json'), JSON.stringify({
    servers: [
      { name: 'everything', command: bin('mcp-server-everything'), args: ['stdio'] },
      { name: 'memory', command: bin('mcp-server-memory'), env: { MEMORY_FILE_PATH: path.join(dir, 'memory.jsonl') } },
    ],
    auth: {
      tokens: [
        { name: 'admin', token: '${ADMIN_TOKEN}', allow: ['*'] },
        { name: 'memory-bot', token: MEMORY_ONLY, allow: ['memory__*'] },
      ],
    },
  }));
  writeFileSync(path.join(dir, '.env'), `ADMIN_TOKEN=${ADMIN}\n`);
  gateway = await startGateway(path.join(dir, 'mcp-servers.json'));
  baseUrl = gateway.baseUrl;
});

after(async () => {
  await stopGateway(gateway?.process);
  // No token ever reaches the gateway's output (its log).
  for (const token of [ADMIN, MEMORY_ONLY]) assert.ok(!gateway.output().includes(token), 'a token reached the log');
  rmSync(dir, { recursive: true, force: true });
});

async function connect(kind, token) {
  const client = new Client({ name: 'mcproxy-e2e-auth', version: '1.0.0' });
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const withHeader = (url, init) => fetch(url, { ...init, headers: { ...(init?.headers ?? {}), ...headers } });
  const transport = kind === 'sse'
    ? new SSEClientTransport(new URL(`${baseUrl}/sse`), { requestInit: { headers }, eventSourceInit: { fetch: withHeader } })
    : new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), { requestInit: { headers } });
  await client.connect(transport);
  return client;
}

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

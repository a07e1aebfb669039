// End-to-end: the gateway (Release build) on the repository's own mcp-servers.example.json, fronting the real
// npm servers (everything, memory, filesystem), driven by the official TypeScript SDK client over Streamable HTTP
// and legacy SSE, and by plain fetch as curl would. Run from this folder: `npm test` (after `npm ci`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, stopGateway, keepEvidence, repo } from './gateway.mjs';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dataDir = mkdtempSync(path.join(tmpdir(), 'mcproxy-e2e-'));
let gateway;
let baseUrl;
let output;

before(async () => {
  // cwd = this folder, so the example config's `npx -y <pkg>` finds the packages npm ci installed here.
  const started = await startGateway(path.join(repo, 'mcp-servers.example.json'),
    { env: { MCPROXY_DATA_DIR: dataDir, MEMORY_FILE_PATH: path.join(dataDir, 'memory.jsonl') } });
  gateway = started.process;
  output = started.output;
  baseUrl = started.baseUrl;
  assert.deepEqual(started.health.servers.map((s) => [s.name, s.state]),
    [['everything', 'ready'], ['memory', 'ready'], ['filesystem', 'ready']], JSON.stringify(started.health));
});

after(async () => {
  await stopGateway(gateway);
  if (output) keepEvidence('relay', output());
  rmSync(dataDir, { recursive: true, force: true });
});

async function connect(kind) {
  const client = new Client({ name: 'mcproxy-e2e', version: '1.0.0' });
  const transport = kind === 'sse'
    ? new SSEClientTransport(new URL(`${baseUrl}/sse`))
    : new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`));
  await client.connect(transport);
  return client;
}

for (const kind of ['streamable', 'sse']) {
  test(`${kind}: lists every server's tools with prefixes`, async () => {
    const client = await connect(kind);
    try {
      const { tools } = await client.listTools();
      const names = tools.map((t) => t.name);
      for (const expected of ['everything__echo', 'memory__read_graph', 'filesystem__list_allowed_directories', 'mcproxy__status']) {
        assert.ok(names.includes(expected), `${expected} missing from ${names.join(', ')}`);
      }
      const echo = tools.find((t) => t.name === 'everything__echo');
      assert.equal(echo.inputSchema.type, 'object');
    } finally {
      await client.close();
    }
  });

  test(`${kind}: calls reach the right real server`, async () => {
    const client = await connect(kind);
    try {
      const echo = await client.callTool({ name: 'everything__echo', arguments: { message: `hi over ${kind}` } });
      assert.match(echo.content[0].text, new RegExp(`hi over ${kind}`));
      await client.callTool({
        name: 'memory__create_entities',
        arguments: { entities: [{ name: `e2e-${kind}`, entityType: 'test', observations: ['relayed'] }] },
      });
      const graph = await client.callTool({ name: 'memory__read_graph', arguments: {} });
      assert.match(JSON.stringify(graph), new RegExp(`e2e-${kind}`));
      const dirs = await client.callTool({ name: 'filesystem__list_allowed_directories', arguments: {} });
      assert.match(dirs.content[0].text, /mcproxy-e2e-/);
    } finally {
      await client.close();
    }
  });
}

for (const kind of ['streamable', 'sse']) {
  test(`${kind}: prompts, resources and progress of server-everything are relayed`, async () => {
    const client = await connect(kind);
    try {
      const { prompts } = await client.listPrompts();
      const simple = prompts.find((p) => p.name.startsWith('everything__') && !(p.arguments ?? []).some((a) => a.required));
      assert.ok(simple, `no argument-free prompt in ${prompts.map((p) => p.name).join(', ')}`);
      const got = await client.getPrompt({ name: simple.name, arguments: {} });
      assert.ok(got.messages.length > 0);

      const { resources } = await client.listResources();
      assert.ok(resources.length > 0, 'server-everything lists resources');
      const read = await client.readResource({ uri: resources[0].uri });
      assert.equal(read.contents[0].uri, resources[0].uri);

      const { tools } = await client.listTools();
      const longRunning = tools.find((t) => t.name.endsWith('long-running-operation'));
      assert.ok(longRunning, 'server-everything has a long-running-operation tool');
      const seen = [];
      await client.callTool({ name: longRunning.name, arguments: { duration: 1, steps: 3 } }, undefined, {
        onprogress: (p) => seen.push(p.progress),
      });
      assert.ok(seen.length >= 2, `progress relayed: ${JSON.stringify(seen)}`);
    } finally {
      await client.close();
    }
  });
}

for (const kind of ['streamable', 'sse']) {
  test(`${kind}: server-everything's sampling, elicitation and roots requests reach this client`, async () => {
    const client = new Client({ name: 'mcproxy-e2e', version: '1.0.0' },
      { capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } } });
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      model: 'e2e-model', role: 'assistant', content: { type: 'text', text: `sampled over ${kind}` },
    }));
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'decline' }));
    client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///e2e/root', name: 'e2e' }] }));
    const transport = kind === 'sse'
      ? new SSEClientTransport(new URL(`${baseUrl}/sse`))
      : new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`));
    await client.connect(transport);
    try {
      const sampled = await client.callTool({ name: 'everything__trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 5 } });
      assert.match(JSON.stringify(sampled), new RegExp(`sampled over ${kind}`));
      const elicited = await client.callTool({ name: 'everything__trigger-elicitation-request', arguments: {} });
      assert.match(JSON.stringify(elicited), /decline/);
      // server-everything caches roots and asks again after roots/list_changed, outside any call.
      await client.sendRootsListChanged();
      let roots = '';
      for (let i = 0; i < 50 && !roots.includes('file:///e2e/root'); i++) {
        roots = JSON.stringify(await client.callTool({ name: 'everything__get-roots-list', arguments: {} }));
        if (!roots.includes('file:///e2e/root')) await new Promise((r) => setTimeout(r, 100));
      }
      assert.match(roots, /file:\/\/\/e2e\/root/);
    } finally {
      await client.close();
    }
  });
}

test('curl path: POST /sse answers tools/list and tools/call as application/json', async () => {
  const list = await fetch(`${baseUrl}/sse`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  assert.equal(list.status, 200);
  assert.match(list.headers.get('content-type'), /^application\/json/);
  const listed = await list.json();
  assert.ok(listed.result.tools.some((t) => t.name === 'memory__read_graph'));
  const call = await fetch(`${baseUrl}/sse`, {
    method: 'POST',
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'everything__echo', arguments: { message: 'curl' } } }),
  });
  const called = await call.json();
  assert.equal(called.id, 2);
  assert.match(called.result.content[0].text, /curl/);
});

test('SIGTERM stops the gateway and every npm child', async () => {
  const health = await (await fetch(`${baseUrl}/health`)).json();
  const pids = health.servers.map((s) => s.pid);
  const exited = new Promise((r) => gateway.on('exit', (code) => r(code)));
  gateway.kill('SIGTERM');
  const started = Date.now();
  assert.equal(await exited, 0);
  assert.ok(Date.now() - started < 6000, `shutdown took ${Date.now() - started} ms`);
  // Live members of each child's process group (zombies waiting for init to reap them count as gone).
  const liveInGroup = (pgid) => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[2]) === pgid && !['Z', 'X'].includes(fields[0]);
    } catch {
      return false; // exited while we looked
    }
  });
  for (const pid of pids) {
    let alive = liveInGroup(pid);
    for (let i = 0; i < 20 && alive.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      alive = liveInGroup(pid);
    }
    assert.deepEqual(alive, [], `process group ${pid} outlived the gateway`);
  }
});

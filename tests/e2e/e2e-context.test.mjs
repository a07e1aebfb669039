// End-to-end context control with the real npm servers: a secret printed by a real child (server-filesystem
// reading a file) never reaches the client; a big file is cut with a link the client reads in full; discover mode
// over both front doors (?tools=discover) finds and calls real tools; tool shaping; broadcast over two real memory
// servers; the REST API as curl would use it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, stopGateway, keepEvidence } from './gateway.mjs';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'mcproxy-e2e-context-'));
const files = path.join(dir, 'files');
const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE';
const GITHUB_TOKEN = 'ghp_' + 'abcdefghijklmnopqrstuvwxyz0123456789';
let gateway;
let baseUrl;

before(async () => {
  mkdirSync(files);
  writeFileSync(path.join(files, 'leak.txt'), `aws_access_key_id = ${AWS_KEY}\ngithub = ${GITHUB_TOKEN}\nharmless line\n`);
  writeFileSync(path.join(files, 'big.txt'), 'é'.repeat(20000)); // 40 000 bytes of two-byte characters
  const bin = (name) => path.join(here, 'node_modules', '.bin', name);
  writeFileSync(path.join(dir, 'mcp-servers.json'), JSON.stringify({
    redact: 'default',
    broadcast: true,
    servers: [
      { name: 'fs', command: bin('mcp-server-filesystem'), args: [files], maxOutputBytes: 4096, tags: ['storage'] },
      { name: 'notes', command: bin('mcp-server-memory'), env: { MEMORY_FILE_PATH: path.join(dir, 'notes.jsonl') }, tags: ['memory'],
        prefix: 'kb', rename: { read_graph: 'graph' }, descriptions: { search_nodes: 'Finds notes by words in them.' } },
      { name: 'scratch', command: bin('mcp-server-memory'), env: { MEMORY_FILE_PATH: path.join(dir, 'scratch.jsonl') }, tags: ['memory'] },
      { name: 'everything', command: bin('mcp-server-everything'), args: ['stdio'] },
    ],
  }));
  gateway = await startGateway(path.join(dir, 'mcp-servers.json'));
  baseUrl = gateway.baseUrl;
});

after(async () => {
  await stopGateway(gateway?.process);
  if (gateway) keepEvidence('context', gateway.output());
  rmSync(dir, { recursive: true, force: true });
});

async function connect(kind, query = '') {
  const client = new Client({ name: 'mcproxy-e2e-context', version: '1.0.0' });
  await client.connect(kind === 'sse'
    ? new SSEClientTransport(new URL(`${baseUrl}/sse${query}`))
    : new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp${query}`)));
  return client;
}

test('a secret a real child prints never reaches the client', async () => {
  const client = await connect('streamable');
  try {
    const read = await client.callTool({ name: 'fs__read_text_file', arguments: { path: path.join(files, 'leak.txt') } });
    const text = JSON.stringify(read);
    assert.ok(!text.includes(AWS_KEY) && !text.includes(GITHUB_TOKEN), text);
    assert.match(text, /harmless line/);
    assert.match(text, /REDACTED/);
  } finally {
    await client.close();
  }
});

test('a big result is cut within the cap, with a link the caller reads in full', async () => {
  const client = await connect('sse');
  try {
    const read = await client.callTool({ name: 'fs__read_text_file', arguments: { path: path.join(files, 'big.txt') } });
    const link = read.content.find((c) => c.type === 'resource_link');
    assert.ok(link, JSON.stringify(read).slice(0, 500));
    assert.ok(Buffer.byteLength(JSON.stringify(read.content)) <= 4096 + 512);
    assert.match(read.content.find((c) => c.type === 'text' && c.text.startsWith('[mcproxy')).text, /cut to 4096 bytes/);
    assert.ok(!read.content[0].text.includes('\uFFFD'), 'cut inside a character');
    const full = await client.readResource({ uri: link.uri });
    const original = JSON.parse(full.contents[0].text);
    assert.equal(original.content[0].text, 'é'.repeat(20000));
  } finally {
    await client.close();
  }
});

for (const kind of ['streamable', 'sse']) {
  test(`${kind}: ?tools=discover lists the meta tools; search finds real tools; call runs them`, async () => {
    const client = await connect(kind, '?tools=discover');
    try {
      assert.deepEqual((await client.listTools()).tools.map((t) => t.name), ['mcproxy__search_tools', 'mcproxy__describe_tool', 'mcproxy__call_tool']);
      const found = await client.callTool({ name: 'mcproxy__search_tools', arguments: { query: 'what files are in this folder', limit: 5 } });
      const names = found.structuredContent.tools.map((c) => c.name);
      assert.ok(names.includes('fs__list_directory') || names.includes('fs__list_directory_with_sizes'), names.join(', '));
      const described = await client.callTool({ name: 'mcproxy__describe_tool', arguments: { name: 'fs__list_directory' } });
      assert.equal(JSON.parse(described.content[0].text).name, 'fs__list_directory');
      const listed = await client.callTool({ name: 'mcproxy__call_tool', arguments: { name: 'fs__list_directory', arguments: { path: files } } });
      assert.match(JSON.stringify(listed), /leak\.txt/);
    } finally {
      await client.close();
    }
  });
}

test('shaping renames, re-describes and re-prefixes a real server; broadcast reaches both memory servers', async () => {
  const client = await connect('streamable');
  try {
    const tools = (await client.listTools()).tools;
    const names = tools.map((t) => t.name);
    assert.ok(names.includes('kb__graph') && !names.includes('notes__read_graph'), names.join(', '));
    assert.equal(tools.find((t) => t.name === 'kb__search_nodes').description, 'Finds notes by words in them.');
    await client.callTool({ name: 'kb__create_entities', arguments: { entities: [{ name: 'alice', entityType: 'person', observations: ['in notes'] }] } });
    assert.match(JSON.stringify(await client.callTool({ name: 'kb__graph', arguments: {} })), /alice/);
    assert.ok(names.includes('broadcast__read_graph') && names.includes('broadcast__by_tag__memory__read_graph'));
    const both = await client.callTool({ name: 'broadcast__read_graph', arguments: {} });
    assert.deepEqual(both.structuredContent.results.map((r) => r.server), ['notes', 'scratch']);
    assert.match(JSON.stringify(both.structuredContent.results[0]), /alice/);
  } finally {
    await client.close();
  }
});

test('REST for scripts: list by tag, call a tool, as curl would', async () => {
  const tagged = await (await fetch(`${baseUrl}/api/tools?tag=storage`)).json();
  assert.ok(tagged.tools.length > 0 && tagged.tools.every((t) => t.server === 'fs'), JSON.stringify(tagged).slice(0, 300));
  const answer = await fetch(`${baseUrl}/api/tools/everything__echo`, { method: 'POST', body: JSON.stringify({ message: 'from a script' }) });
  assert.equal(answer.status, 200);
  assert.match((await answer.json()).content[0].text, /from a script/);
  assert.equal((await fetch(`${baseUrl}/api/tools/nope__nothing`, { method: 'POST', body: '{}' })).status, 404);
});

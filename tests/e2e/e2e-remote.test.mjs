// End-to-end with remote upstreams: the real server-everything started as a remote server in its streamableHttp
// and its sse mode (PORT=…), fronted by the gateway as "type": "http" and "type": "sse" servers, driven by the
// official TypeScript SDK client over both front doors: lists, calls, prompts, resources, progress, sampling and
// elicitation all cross the remote hop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, stopGateway, keepEvidence } from './gateway.mjs';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { CreateMessageRequestSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'mcproxy-e2e-remote-'));
const remotes = [];
let gateway;
let baseUrl;

const freePort = () => new Promise((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => { const { port } = server.address(); server.close(() => resolve(port)); });
});

/** Starts server-everything in a remote mode; resolves with its port once it says it listens. */
async function startEverything(mode) {
  const port = await freePort();
  const child = spawn(path.join(here, 'node_modules', '.bin', 'mcp-server-everything'), [mode], {
    env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  remotes.push(child);
  let output = '';
  await new Promise((resolve, reject) => {
    const seen = (chunk) => { output += chunk; if (new RegExp(`\\b${port}\\b`).test(output)) resolve(); };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.on('exit', (code) => reject(new Error(`server-everything ${mode} exited with ${code}: ${output}`)));
  });
  return port;
}

before(async () => {
  const httpPort = await startEverything('streamableHttp');
  const ssePort = await startEverything('sse');
  writeFileSync(path.join(dir, 'mcp-servers.json'), JSON.stringify({
    servers: [
      { name: 'rhttp', type: 'http', url: `http://127.0.0.1:${httpPort}/mcp` },
      { name: 'rsse', type: 'sse', url: `http://127.0.0.1:${ssePort}/sse` },
    ],
  }));
  gateway = await startGateway(path.join(dir, 'mcp-servers.json'));
  baseUrl = gateway.baseUrl;
  assert.deepEqual(gateway.health.servers.map((s) => [s.name, s.state, s.transport]),
    [['rhttp', 'ready', 'streamable-http'], ['rsse', 'ready', 'sse']], JSON.stringify(gateway.health));
});

after(async () => {
  await stopGateway(gateway?.process);
  if (gateway) keepEvidence('remote', gateway.output());
  for (const child of remotes) child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

async function connect(kind, kindOfClient = {}) {
  const client = new Client({ name: 'mcproxy-e2e-remote', version: '1.0.0' }, kindOfClient);
  await client.connect(kind === 'sse'
    ? new SSEClientTransport(new URL(`${baseUrl}/sse`))
    : new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`)));
  return client;
}

for (const kind of ['streamable', 'sse']) {
  for (const server of ['rhttp', 'rsse']) {
    test(`${kind} front door → ${server}: list, call, prompts, resources and progress cross the remote hop`, async () => {
      const client = await connect(kind);
      try {
        const { tools } = await client.listTools();
        assert.ok(tools.some((t) => t.name === `${server}__echo`), tools.map((t) => t.name).join(', '));
        const echo = await client.callTool({ name: `${server}__echo`, arguments: { message: `${kind} to ${server}` } });
        assert.match(echo.content[0].text, new RegExp(`${kind} to ${server}`));

        const { prompts } = await client.listPrompts();
        const simple = prompts.find((p) => p.name.startsWith(`${server}__`) && !(p.arguments ?? []).some((a) => a.required));
        assert.ok(simple, prompts.map((p) => p.name).join(', '));
        assert.ok((await client.getPrompt({ name: simple.name, arguments: {} })).messages.length > 0);

        const { resources } = await client.listResources();
        // Both remotes offer the same URIs; the first server's copy is exposed, read through its remote hop.
        const mine = resources[0];
        assert.ok(mine, 'resources listed');
        assert.equal((await client.readResource({ uri: mine.uri })).contents[0].uri, mine.uri);

        const seen = [];
        await client.callTool({ name: `${server}__trigger-long-running-operation`, arguments: { duration: 1, steps: 3 } }, undefined, {
          onprogress: (p) => seen.push(p.progress),
        });
        assert.ok(seen.length >= 2, `progress relayed: ${JSON.stringify(seen)}`);
      } finally {
        await client.close();
      }
    });

    test(`${kind} front door → ${server}: the upstream's sampling and elicitation requests reach this client`, async () => {
      const client = await connect(kind, { capabilities: { sampling: {}, elicitation: {} } });
      client.setRequestHandler(CreateMessageRequestSchema, async () => ({
        model: 'e2e-model', role: 'assistant', content: { type: 'text', text: `sampled via ${server} over ${kind}` },
      }));
      client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'decline' }));
      try {
        const sampled = await client.callTool({ name: `${server}__trigger-sampling-request`, arguments: { prompt: 'hi', maxTokens: 5 } });
        assert.match(JSON.stringify(sampled), new RegExp(`sampled via ${server} over ${kind}`));
        const elicited = await client.callTool({ name: `${server}__trigger-elicitation-request`, arguments: {} });
        assert.match(JSON.stringify(elicited), /decline/);
      } finally {
        await client.close();
      }
    });
  }
}

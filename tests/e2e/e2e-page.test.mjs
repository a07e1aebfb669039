// End-to-end: the live status page in a real browser. Debian's Chromium (/usr/bin/chromium, headless), driven by
// playwright-core, opens GET / of a gateway fronting real npm servers: the page lists them, follows calls, and shows a
// server added to the config file without a reload. Behind an auth section the page asks for the token and reads its
// stream with it as a header. The page must run under its own Content-Security-Policy without a console error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, stopGateway, evidenceSecrets, keepEvidence } from './gateway.mjs';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'mcproxy-e2e-page-'));
const files = path.join(dir, 'files');
const TOKEN = 'e2e-page-token-0123456789abcdef';
const WRONG = 'not-the-token-0123456789abcdef';
const WAIT = 60_000; // bounded: a real npm server's first start, then the DOM

const bin = (name) => path.join(here, 'node_modules', '.bin', name);
const server = (name, command, ...args) => ({ name, command: process.execPath, args: [bin(command), ...args], timeout: 120 });
const everything = server('everything', 'mcp-server-everything', 'stdio');
const memory = { ...server('memory', 'mcp-server-memory'), env: { MEMORY_FILE_PATH: path.join(dir, 'memory.jsonl') } };
const filesystem = server('filesystem', 'mcp-server-filesystem', files);

let browser;
const gateways = [];

before(async () => {
  mkdirSync(files);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    // Chromium's sandbox refuses to run as root (CI runs as root).
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
});

after(async () => {
  await browser?.close();
  for (const { name, started } of gateways) {
    await stopGateway(started.process);
    keepEvidence(name, started.output());
  }
  rmSync(dir, { recursive: true, force: true });
});

async function start(name, config) {
  const configPath = path.join(dir, `${name}.json`);
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const started = await startGateway(configPath);
  gateways.push({ name: `page-${name}`, started });
  return { configPath, baseUrl: started.baseUrl };
}

/** A page that fails the test on any console error or uncaught exception (a CSP violation is one). */
async function openPage() {
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  return { page, problems };
}

const row = (page, name) => page.locator(`tr[data-server="${name}"]`);

test('the page lists every server, follows calls, and shows a server added to the file without a reload', async () => {
  const { configPath, baseUrl } = await start('open', { servers: [everything, memory] });
  const { page, problems } = await openPage();
  try {
    await page.goto(`${baseUrl}/`);
    for (const name of ['everything', 'memory']) {
      await row(page, name).locator('td').nth(1).filter({ hasText: /^ready$/ }).waitFor({ timeout: WAIT });
    }
    assert.equal(await page.locator('#status').textContent(), 'ok');
    assert.match(await row(page, 'everything').locator('td').nth(4).textContent(), /MiB$/);
    assert.ok(Number(await row(page, 'everything').locator('td').nth(2).textContent()) > 0, 'tool count');

    // Calls show as calls/s and a median on the open page.
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${baseUrl}/sse`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'everything__echo', arguments: { message: 'page' } } }),
      });
      assert.equal(r.status, 200);
    }
    await page.waitForFunction(() => {
      const cells = document.querySelector('tr[data-server="everything"]')?.cells;
      return cells && Number(cells[5].textContent) > 0 && /ms$/.test(cells[6].textContent);
    }, null, { timeout: WAIT });

    // Rewrite the file with one more server: it appears on the same page, which never reloaded.
    await page.evaluate(() => { window.notReloaded = true; });
    writeFileSync(configPath, JSON.stringify({ servers: [everything, memory, filesystem] }, null, 2));
    await row(page, 'filesystem').locator('td').nth(1).filter({ hasText: /^ready$/ }).waitFor({ timeout: WAIT });
    assert.equal(await page.evaluate(() => window.notReloaded), true);
    assert.deepEqual(await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.server)),
      ['everything', 'memory', 'filesystem']);
    if (process.env.MCPROXY_PAGE_SCREENSHOT) await page.screenshot({ path: process.env.MCPROXY_PAGE_SCREENSHOT, fullPage: true });
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test('behind auth the page asks for the token and streams with it as a header', async () => {
  evidenceSecrets(TOKEN, WRONG);
  const { baseUrl } = await start('auth', { servers: [memory], auth: { tokens: [{ name: 'ops', token: TOKEN, allow: ['*'] }] } });
  const { page, problems } = await openPage();
  try {
    await page.goto(`${baseUrl}/`);
    await page.locator('#login').waitFor({ state: 'visible', timeout: WAIT });
    assert.equal(await row(page, 'memory').count(), 0);

    await page.fill('#token', WRONG);
    await page.click('#login button[type=submit]');
    await page.locator('#connection').filter({ hasText: 'refused' }).waitFor({ timeout: WAIT });

    await page.fill('#token', TOKEN);
    await page.click('#login button[type=submit]');
    await row(page, 'memory').locator('td').nth(1).filter({ hasText: /^ready$/ }).waitFor({ timeout: WAIT });
    assert.ok(!page.url().includes(TOKEN), 'the token never reaches a URL');
    // The refused attempts were the browser's own 401s, logged without a word of the header; expected, not problems.
    assert.deepEqual(problems.filter((p) => !/401/.test(p)), []);
  } finally {
    await page.close();
  }
});

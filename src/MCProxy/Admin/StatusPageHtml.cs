using System.Security.Cryptography;
using System.Text;

namespace MCProxy.Admin;

/// <summary>
/// The status page: one self-contained HTML document with its CSS and script inline (no build step, no CDN,
/// nothing fetched but <c>status/events</c>), compiled into the binary as a string.
/// NOTE 1: its Content-Security-Policy allows exactly this script and this style block by their SHA-256 and
/// connections only to the gateway itself, so no injected markup could run or send the token anywhere; the page
/// writes every value from the gateway with textContent, never as HTML.
/// </summary>
internal static class StatusPageHtml
{
    public const string Text = """
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MCProxy status</title>
<link rel="icon" href="data:,">
<style>
:root { color-scheme: light dark; --ok: #1a7f37; --warn: #bf8700; --bad: #cf222e; --muted: #6e7781; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; }
header { display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; }
h1 { font-size: 1.25rem; margin: 0; }
.pill { padding: 0 .6rem; border: 1px solid currentColor; border-radius: 1rem; }
.ok, .ready { color: var(--ok); }
.degraded, .starting, .restarting { color: var(--warn); }
.bad, .failed, .invalid, .stopped { color: var(--bad); }
.muted, .disabled { color: var(--muted); }
table { border-collapse: collapse; margin-top: 1rem; width: 100%; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #8884; vertical-align: top; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.error { max-width: 50ch; overflow-wrap: anywhere; font: 12px/1.4 ui-monospace, monospace; }
form { margin-top: 1rem; display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
[hidden] { display: none !important; }
</style>
</head>
<body>
<header>
  <h1>MCProxy</h1>
  <span id="status" class="pill muted">…</span>
  <span id="summary" class="muted"></span>
  <span id="connection" class="muted">connecting…</span>
  <button id="forget" type="button" hidden>Forget token</button>
</header>
<form id="login" hidden>
  <label for="token">This gateway needs a token:</label>
  <input id="token" type="password" autocomplete="off" size="40" required>
  <button type="submit">Connect</button>
  <span class="muted">Kept in this tab only, sent to this gateway as an Authorization header, never in a URL.</span>
</form>
<table id="servers">
  <thead><tr><th>Server</th><th>State</th><th class="num">Tools</th><th class="num">Restarts</th><th class="num">Memory</th>
  <th class="num">Calls/s</th><th class="num">p50</th><th>Last error</th></tr></thead>
  <tbody></tbody>
</table>
<p id="updated" class="muted"></p>
<script>
'use strict';
// State arrives as `event: state` on GET status/events, read with fetch() so a token travels as a header.
const $ = (id) => document.getElementById(id);
const KEY = 'mcproxy.token';
let token = sessionStorage.getItem(KEY) || '';
let delay = 1000;

function bytes(n) {
  if (n == null) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : String(n)) + ' ' + units[i];
}

function cell(row, i, text, cls) {
  const td = row.cells[i];
  if (td.textContent !== text) td.textContent = text;
  if (cls !== undefined) td.className = cls;
}

function render(state) {
  $('status').textContent = state.status;
  $('status').className = 'pill ' + state.status;
  $('summary').textContent = `${state.servers.length} servers · ${state.sessions} sessions · config ${state.config} · ${state.version}`;
  const body = $('servers').tBodies[0];
  const seen = new Set();
  state.servers.forEach((s, index) => {
    seen.add(s.name);
    let row = [...body.rows].find((r) => r.dataset.server === s.name);
    if (!row) {
      row = body.insertRow();
      row.dataset.server = s.name;
      for (let i = 0; i < 8; i++) row.insertCell().className = i >= 2 && i <= 6 ? 'num' : '';
    }
    if (body.rows[index] !== row) body.insertBefore(row, body.rows[index] || null);
    const live = state.live[s.name] || {};
    cell(row, 0, s.name);
    cell(row, 1, s.state, s.state);
    cell(row, 2, String(s.tools));
    cell(row, 3, String(s.restarts));
    cell(row, 4, bytes(live.rssBytes));
    cell(row, 5, (live.callsPerSecond ?? 0).toFixed(1));
    cell(row, 6, live.p50Ms == null ? '–' : `${live.p50Ms} ms`);
    if (state.details) cell(row, 7, s.lastError ?? '', 'error');
    else cell(row, 7, 'shown on loopback or with a token', 'muted');
  });
  for (const row of [...body.rows]) if (!seen.has(row.dataset.server)) row.remove();
  $('updated').textContent = 'Updated ' + new Date().toLocaleTimeString();
}

function connection(text, cls) {
  $('connection').textContent = text;
  $('connection').className = cls;
}

function dispatch(block) {
  let event = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  if (event === 'state' && data.length) render(JSON.parse(data.join('\n')));
}

function signIn(message) {
  token = '';
  sessionStorage.removeItem(KEY);
  $('forget').hidden = true;
  connection(message, 'bad');
  $('login').hidden = false;
  $('token').focus();
}

async function connect() {
  const headers = { Accept: 'text/event-stream' };
  if (token) headers.Authorization = 'Bearer ' + token;
  const abort = new AbortController();
  let watchdog;
  // The gateway sends at least a keep-alive every 15 s: silence for 45 s means a dead connection.
  const arm = () => { clearTimeout(watchdog); watchdog = setTimeout(() => abort.abort(), 45000); };
  try {
    arm();
    const response = await fetch('status/events', { headers, cache: 'no-store', signal: abort.signal });
    if (response.status === 401) {
      clearTimeout(watchdog);
      signIn(token ? 'that token was refused' : 'sign in');
      return;
    }
    if (!response.ok || !response.body) throw new Error('HTTP ' + response.status);
    connection('live', 'ok');
    $('forget').hidden = !token;
    delay = 1000;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      arm();
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
      if (buffer.length > 1048576) break;
    }
  } catch {
    // A network error, the watchdog, or the gateway stopping: reconnect below.
  }
  clearTimeout(watchdog);
  connection('reconnecting…', 'degraded');
  setTimeout(connect, delay);
  delay = Math.min(delay * 2, 15000);
}

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  token = $('token').value.trim();
  $('token').value = '';
  sessionStorage.setItem(KEY, token);
  $('login').hidden = true;
  connection('connecting…', 'muted');
  connect();
});
$('forget').addEventListener('click', () => {
  sessionStorage.removeItem(KEY);
  location.reload();
});
connect();
</script>
</body>
</html>
""";

    public static readonly byte[] Utf8 = Encoding.UTF8.GetBytes(Text);

    public static readonly string ContentSecurityPolicy =
        $"default-src 'none'; script-src 'sha256-{HashOf("script")}'; style-src 'sha256-{HashOf("style")}'; " +
        "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>Base64 SHA-256 of the text inside the page's one <c>&lt;tag&gt;</c> element, as CSP hashes it.</summary>
    private static string HashOf(string tag)
    {
        var open = $"<{tag}>";
        var start = Text.IndexOf(open, StringComparison.Ordinal) + open.Length;
        var end = Text.IndexOf($"</{tag}>", start, StringComparison.Ordinal);
        return Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Text[start..end])));
    }
}

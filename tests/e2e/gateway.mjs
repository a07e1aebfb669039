// Starts the gateway for an e2e suite: the native executable in MCPROXY_BIN (as CI runs it), otherwise the Release
// build under the dotnet host; waits for "Now listening on" and for /health to say ready.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '..', '..');

/** Returns { process, baseUrl, output(), health } once /health is ready (within two minutes). */
export async function startGateway(configPath, { env = {}, cwd = here } = {}) {
  const gatewayBin = process.env.MCPROXY_BIN;
  const gatewayDll = process.env.MCPROXY_DLL ?? path.join(repo, 'src/MCProxy/bin/Release/net10.0/MCProxy.dll');
  const args = ['--log', '--config', configPath, '--port', '0'];
  const child = spawn(gatewayBin ?? 'dotnet', gatewayBin ? args : [gatewayDll, ...args], {
    cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const baseUrl = await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const m = /Now listening on: (http:\/\/\S+)/.exec(output);
      if (m) resolve(m[1]);
    });
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('exit', (code) => reject(new Error(`gateway exited with ${code}:\n${output}`)));
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    const health = await (await fetch(`${baseUrl}/health`)).json();
    if (health.ready) return { process: child, baseUrl, output: () => output, health };
    if (Date.now() > deadline) throw new Error(`not ready in time:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** SIGTERM, as systemd and podman stop it; resolves with the exit code. */
export async function stopGateway(child) {
  if (!child || child.exitCode !== null) return child?.exitCode;
  const exited = new Promise((r) => child.on('exit', (code) => r(code)));
  child.kill('SIGTERM');
  return exited;
}

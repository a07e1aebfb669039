// Starts the gateway for an e2e suite: the native executable in MCPROXY_BIN (as CI runs it), otherwise the Release
// build under the dotnet host; waits for "Now listening on" and for /health to say ready.
import { spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
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

// The secrets sweep after CI (deploy/ci/secrets-sweep.sh): with MCPROXY_EVIDENCE_DIR set, a suite lists every
// credential it uses and keeps every log and audit file there; without it these do nothing.
const evidence = process.env.MCPROXY_EVIDENCE_DIR;

/** Lists credentials (tokens, JWTs) this suite used. */
export function evidenceSecrets(...values) {
  if (!evidence) return;
  mkdirSync(evidence, { recursive: true });
  for (const v of values) if (v && v.length >= 8) appendFileSync(path.join(evidence, `secrets-e2e-${process.pid}.txt`), `${v}\n`);
}

/** Keeps a gateway's whole output and any audit files for the sweep. */
export function keepEvidence(name, output, files = []) {
  if (!evidence) return;
  const target = path.join(evidence, 'files', `e2e-${name}-${process.pid}`);
  mkdirSync(target, { recursive: true });
  writeFileSync(path.join(target, 'gateway.log'), output);
  for (const f of files) if (existsSync(f)) copyFileSync(f, path.join(target, path.basename(f)));
}

#!/usr/bin/env node
// Runs a real MCP stdio server unchanged and counts what reaches it: every tools/call the gateway forwards is
// appended (its tool name, one per line) to the count file before the line is passed on. Lets a test prove a denied
// call never reached the child. Usage: counting-shim.mjs <count-file> <command> [args...]
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const [countFile, command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: ['pipe', 'inherit', 'inherit'] });
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', (line) => {
  try {
    const message = JSON.parse(line);
    if (message?.method === 'tools/call') appendFileSync(countFile, `${message.params?.name}\n`);
  } catch {
    // Not JSON: the server itself will answer it.
  }
  child.stdin.write(line + '\n');
});
lines.on('close', () => child.stdin.end());

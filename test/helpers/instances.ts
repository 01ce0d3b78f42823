// `gatehouse serve` as a child process of a test: started from a folder of its own with a clean
// environment, its URL read from the log line it prints when it listens; killed if the test dies.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const LAUNCHER = join(ROOT, 'bin', 'gatehouse.js');
/** Loading the sources takes a few seconds of CPU per process; several start at once on a busy machine. */
const START_TIMEOUT_MS = 30_000;

export interface Instance {
  name: string;
  url: string;
  wsUrl: string;
  child: ChildProcess;
}

/** Starts `gatehouse serve` as its own process; resolves with its URL once it listens. */
export async function startInstance(name: string, cwd: string, vars: Record<string, string>): Promise<Instance> {
  const child = spawn(NODE, [LAUNCHER, 'serve'], {
    cwd, // a folder of its own: no .env of the checkout is read
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...vars,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Even if this test process dies without running its `after` hooks, no server outlives it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  // Kept for the message of a failed start; read on afterwards so the pipes never fill up.
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // never returned to the caller: nobody else would stop it
      reject(new Error(`${name} did not listen within ${START_TIMEOUT_MS} ms:\n${output}`));
    }, START_TIMEOUT_MS);
    lines.on('line', (line) => {
      output += `${line}\n`;
      const found = /"url":"([^"]+)"/.exec(line)?.[1];
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening:\n${output}`));
    });
  });
  return { name, url, wsUrl: url.replace(/^http/, 'ws'), child };
}

/** SIGTERM, then SIGKILL if the process is still there after a while. */
export async function stopInstance(instance: Instance | undefined): Promise<void> {
  if (!instance || instance.child.exitCode !== null || instance.child.signalCode !== null) return;
  const exited = once(instance.child, 'exit');
  instance.child.kill('SIGTERM');
  const timer = setTimeout(() => instance.child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export async function gql(instance: Instance, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<any> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(instance.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${instance.name}: non-JSON answer ${res.status}: ${text.slice(0, 200)}`);
  }
}

// Child processes for the benchmarks: every server under test runs as its own process on loopback,
// started from a temporary directory with a clean environment, and is killed when the run ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const GATEHOUSE_BIN = join(ROOT, 'bin', 'gatehouse.js');

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
const cleanups: Array<() => void> = [];

/** Runs `stop` (synchronously) when the run ends: after the servers are killed, before the temporary directories go. */
export function onCleanup(stop: () => void): void {
  cleanups.push(stop);
}

function cleanup(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const stop of cleanups.splice(0)) {
    try {
      stop();
    } catch (error) {
      process.stderr.write(`cleanup: ${(error as Error).message}\n`);
    }
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    cleanup();
    process.exit(130);
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A temporary directory removed when the run ends. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `gatehouse-bench-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface BenchProcess {
  name: string;
  child: ChildProcess;
  port: number;
  /** http://127.0.0.1:<port> */
  origin: string;
  output(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  name: string;
  /** Script and arguments run with this process's Node. */
  args: string[];
  env?: Record<string, string>;
  /** Working directory (default: a fresh temporary directory, so no .env or data/ of the checkout applies). */
  cwd?: string;
  /** Extra Node flags (e.g. --cpu-prof). */
  nodeFlags?: string[];
  /** Wait for GET /health (default) or for the process to be spawned only. */
  waitForHealth?: boolean;
}

/** Starts a server process with PORT/HOST set and waits until GET /health answers 200. */
export async function startProcess(options: StartOptions): Promise<BenchProcess> {
  const port = await freePort();
  const cwd = options.cwd ?? tempDir(options.name);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    PORT: String(port),
    HOST: '127.0.0.1',
    ...options.env,
  };
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), ...options.args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 20_000) output = output.slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const origin = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    children.delete(child);
  };
  const started: BenchProcess = { name: options.name, child, port, origin, output: () => output, stop };
  if (options.waitForHealth === false) return started;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${options.name} exited (${child.exitCode ?? child.signalCode}) before listening:\n${output}`);
    }
    try {
      const res = await fetch(`${origin}/health`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) break;
    } catch {
      // Not listening yet: try again until the deadline.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${options.name} did not answer /health within 60 s:\n${output}`);
    }
    await sleep(100);
  }
  return started;
}

/** Resident memory of a process (VmRSS), in KiB. */
export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]);
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    }),
  ]);
}

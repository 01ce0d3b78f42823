// Runs the `gatehouse` command as a subprocess, the way an operator or a deployment script does.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testDatabaseEnvFor } from './backends.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
// Node's compile cache: each subprocess would otherwise parse and compile every module again (≈ 15% of its start).
const COMPILE_CACHE = join(tmpdir(), 'gatehouse-test-compile-cache');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  databasePath: string;
  keepSqlite?: boolean;
}

/** Starts `gatehouse <args>` against `databasePath` and hands back the process (to read as it runs, or kill). */
export async function spawnGatehouse(args: string[], options: CliOptions): Promise<ChildProcessWithoutNullStreams> {
  // On PostgreSQL the file path names the test's database (test/helpers/backends.ts).
  const database = options.keepSqlite ? { DATABASE_URL: options.databasePath } : await testDatabaseEnvFor(options.databasePath);
  return spawn(NODE, [join(ROOT, 'bin/gatehouse.js'), ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...database, NODE_COMPILE_CACHE: COMPILE_CACHE },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** `gatehouse <args>` against `databasePath`, with `stdin` written to it (then closed). */
export async function runGatehouse(args: string[], options: CliOptions & { stdin?: string }): Promise<CliRun> {
  const child = await spawnGatehouse(args, options);
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

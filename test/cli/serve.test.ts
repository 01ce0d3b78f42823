// The `gatehouse` command as an operator runs it: a real process, its exit codes, its output.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const MAIN = join(ROOT, 'src', 'main.ts');
const LAUNCHER = join(ROOT, 'bin', 'gatehouse.js');
const SYSTEM_NODE = '/usr/bin/node';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A clean environment: nothing from the test runner's own (LOG_LEVEL, NODE_ENV, a developer's PORT…). */
const env = (vars: Record<string, string> = {}) => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', ...vars });

/** Runs from the temporary directory, so no .env file and no data/ folder of the checkout is used. */
const run = (node: string, args: string[], vars: Record<string, string> = {}) =>
  spawnSync(node, args, { cwd: dir, env: env(vars), encoding: 'utf8', timeout: 30_000 });

const systemNodeVersion = existsSync(SYSTEM_NODE) ? run(SYSTEM_NODE, ['--version']).stdout.trim() : '';
const [systemMajor = 0, systemMinor = 0] = systemNodeVersion.replace(/^v/, '').split('.').map(Number);
const systemNodeTooOld = systemNodeVersion !== '' && (systemMajor < 22 || (systemMajor === 22 && systemMinor < 18));

/** Resolves with the first stdout line for which `match` returns a value. */
function firstLine<T>(child: ChildProcess, match: (line: string) => T | undefined, timeoutMs = 20_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`no matching line within ${timeoutMs} ms`)), timeoutMs);
    lines.on('line', (line) => {
      const found = match(line);
      if (found === undefined) return;
      clearTimeout(timer);
      resolve(found);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before the line appeared`)));
  });
}

describe('gatehouse command', () => {
  test('serve: logs its URL and the admin console URL as JSON lines, answers /health, exits 0 on SIGTERM', async () => {
    const child = spawn(NODE, [MAIN, 'serve'], {
      cwd: dir,
      env: env({ PORT: '0', HOST: '127.0.0.1', DATABASE_URL: join(dir, 'serve.db'), LOG_LEVEL: 'info' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const stdout: string[] = [];
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk.toString()));
    const json = (line: string): { url?: string; consoleUrl?: string } => {
      try {
        return JSON.parse(line);
      } catch {
        // Not JSON: the structured-log assertion below reports it with the whole output.
        return {};
      }
    };
    try {
      // Logged right after the listening line (this checkout's console is built by `npm install`).
      const consoleUrl = await firstLine(child, (line) => json(line).consoleUrl);
      const url = stdout.join('').split('\n').map((line) => json(line).url).find(Boolean)!;
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
      assert.equal(consoleUrl, new URL('/admin', url).href);
      const page = await fetch(consoleUrl);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type')!, /^text\/html/);
      const health = await fetch(new URL('/health', url));
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok' });
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code, signal] = await exited;
      assert.equal(signal, null);
      assert.equal(code, 0, stderr);
    } finally {
      child.kill('SIGKILL');
    }
    // Structured logs: every line on stdout is one JSON object.
    for (const line of stdout.join('').split('\n').filter(Boolean)) assert.doesNotThrow(() => JSON.parse(line), line);
    assert.equal(stderr, '');
  });

  test('serve with LOG_FORMAT=pretty: human-readable lines (the URL findable), no JSON; a bad LOG_FORMAT is refused by name', async () => {
    const child = spawn(NODE, [MAIN, 'serve'], {
      cwd: dir,
      env: env({ PORT: '0', HOST: '127.0.0.1', DATABASE_URL: join(dir, 'pretty.db'), LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: string[] = [];
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk.toString()));
    try {
      // The console line comes after the listening line: both are then in the output.
      const consoleUrl = await firstLine(child, (line) => line.match(/Admin console: (http:\/\/127\.0\.0\.1:\d+\/admin)$/)?.[1]);
      assert.match(stdout.join(''), /Gatehouse listening on http:\/\/127\.0\.0\.1:\d+\/graphql/);
      assert.equal((await fetch(new URL('/health', consoleUrl))).status, 200);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      assert.equal((await exited)[0], 0);
    } finally {
      child.kill('SIGKILL');
    }
    const lines = stdout.join('').split('\n').filter(Boolean);
    assert.ok(lines.some((line) => /^\[\d{2}:\d{2}:\d{2}(\.\d+)?\] INFO/.test(line)), lines.join('\n'));
    for (const line of lines) assert.throws(() => JSON.parse(line), SyntaxError, `a JSON line: ${line}`);

    const bad = run(NODE, [MAIN, 'serve'], { LOG_FORMAT: 'fancy', DATABASE_URL: join(dir, 'never-pretty.db') });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /\bLOG_FORMAT\b/);
  });

  test('serve with CONSOLE=false: no admin console line', async () => {
    const child = spawn(NODE, [MAIN, 'serve'], {
      cwd: dir,
      env: env({ PORT: '0', HOST: '127.0.0.1', DATABASE_URL: join(dir, 'no-console.db'), LOG_LEVEL: 'info', CONSOLE: 'false' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: string[] = [];
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk.toString()));
    try {
      await firstLine(child, (line) => (line.includes('Gatehouse listening on') ? true : undefined));
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      assert.equal((await exited)[0], 0);
    } finally {
      child.kill('SIGKILL');
    }
    // Everything it logged up to its exit: the listening line, and no console line.
    assert.match(stdout.join(''), /shutting down/);
    assert.doesNotMatch(stdout.join(''), /Admin console|consoleUrl/);
  });

  test('schema: prints the SDL committed in schema.graphql', () => {
    const result = run(NODE, [MAIN, 'schema']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, readFileSync(join(ROOT, 'schema.graphql'), 'utf8'));
  });

  test('a bad environment variable exits 1 naming it on stderr, without a stack trace', () => {
    const result = run(NODE, [MAIN, 'serve'], { PORT: 'abc', DATABASE_URL: join(dir, 'never.db') });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /\bPORT\b/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
    assert.equal(existsSync(join(dir, 'never.db')), false, 'nothing is created before the configuration is valid');
  });

  test('an unknown command exits 2 and prints the usage', () => {
    const result = run(NODE, [MAIN, 'frobnicate']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /Unknown command "frobnicate"/);
    assert.match(result.stderr, /Usage: gatehouse <command>/);
  });

  test('help prints the usage and exits 0', () => {
    const result = run(NODE, [MAIN, '--help']);
    assert.equal(result.status, 0);
    assert.match(result.stdout, /Usage: gatehouse <command>/);
  });

  test('bin/gatehouse.js runs the command on a recent Node', () => {
    const result = run(NODE, [LAUNCHER, 'schema']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, readFileSync(join(ROOT, 'schema.graphql'), 'utf8'));
    assert.equal(run(NODE, [LAUNCHER, 'frobnicate']).status, 2);
  });

  test(
    'bin/gatehouse.js on an old Node exits 1 with a clear message instead of a loader stack trace',
    { skip: systemNodeTooOld ? false : `no Node older than 22.18 at ${SYSTEM_NODE}` },
    () => {
      const result = run(SYSTEM_NODE, [LAUNCHER, 'serve'], { PORT: '0', DATABASE_URL: join(dir, 'old.db') });
      assert.equal(result.status, 1);
      assert.match(result.stderr, /needs Node\.js 22\.18 or newer/);
      assert.match(result.stderr, new RegExp(systemNodeVersion.replaceAll('.', '\\.')));
      assert.doesNotMatch(result.stderr, /ERR_UNKNOWN_FILE_EXTENSION|\n\s+at /);
      assert.equal(existsSync(join(dir, 'old.db')), false);
    },
  );
});

// Subscription fan-out benchmark (issue 5 "Performance", conventions of issue 8).
//
//   npm run bench:subscriptions                       2,000 clients, 3 rounds (A B A B A B)
//   npm run bench:subscriptions -- --quick            500 clients, 1 round
//   npm run bench:subscriptions -- --clients 10000 --rounds 3
//
// Each round starts, as its own child process on loopback and with a fresh database:
//   A  Gatehouse (bin/gatehouse.js serve), an admin from ADMIN_EMAIL/ADMIN_PASSWORD;
//   B  bench/servers/subscription-baseline.ts: plain graphql-yoga + graphql-ws + yoga's createPubSub.
// This process is the load driver: it opens N WebSockets speaking the graphql-ws protocol
// (graphql-transport-ws, written directly on `ws` so the driver costs as little as possible),
// subscribes each (Gatehouse: `maintenanceModeChanged`, baseline: `stateChanged`), waits for every
// initial event, then triggers one change over HTTP (Gatehouse: the admin's `setMaintenanceMode`,
// baseline: its `setState` mutation) and times each subscriber's delivery from just before the
// trigger request is sent. Server RSS (VmRSS) is read before and after connecting.
// It prints medians over the rounds, the ratio Gatehouse/baseline and the goals; the full results
// go to bench/results/subscriptions-<time>.json. Timings are printed, never asserted.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const ROOT = join(import.meta.dirname, '..');
const GATEHOUSE = join(ROOT, 'bin', 'gatehouse.js');
const BASELINE = join(ROOT, 'bench', 'servers', 'subscription-baseline.ts');
const RESULTS = join(ROOT, 'bench', 'results');

const ADMIN_EMAIL = 'bench-admin@example.com';
const ADMIN_PASSWORD = 'Bench-admin-password-1234!';

/** Connection setups (open → ack → subscribe → initial event) in flight at once. */
const CONNECT_CONCURRENCY = 100;
/** Pause after the last initial event, so the servers are idle when RSS is read and the trigger fires. */
const SETTLE_MS = 500;

const { values: opts } = parseArgs({
  options: {
    clients: { type: 'string' },
    rounds: { type: 'string' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' }, // "gatehouse" or "baseline", for profiling one side
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  process.stdout.write('Usage: node bench/subscriptions.ts [--quick] [--clients N] [--rounds R] [--only gatehouse|baseline]\n');
  process.exit(0);
}
const CLIENTS = Number(opts.clients ?? (opts.quick ? 500 : 2000));
const ROUNDS = Number(opts.rounds ?? (opts.quick ? 1 : 3));
if (!Number.isInteger(CLIENTS) || CLIENTS < 1 || CLIENTS > 50_000) throw new Error('--clients must be 1…50000');
if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || ROUNDS > 20) throw new Error('--rounds must be 1…20');

const CONNECT_TIMEOUT_MS = 30_000 + CLIENTS * 20;
const DELIVERY_TIMEOUT_MS = 30_000;

// ---------------------------------------------------------------- child processes

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

function cleanup(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    cleanup();
    process.exit(130);
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Server {
  name: 'gatehouse' | 'baseline';
  child: ChildProcess;
  url: string; // http://127.0.0.1:port/graphql
  output: () => string;
}

async function startServer(name: Server['name']): Promise<Server> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `gatehouse-bench-${name}-`));
  tempDirs.add(dir);
  // A clean environment, run from the temporary directory: no .env or data/ of the checkout.
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', PORT: String(port), HOST: '127.0.0.1' };
  const args = name === 'gatehouse' ? [GATEHOUSE, 'serve'] : [BASELINE];
  if (name === 'gatehouse') {
    Object.assign(env, {
      NODE_ENV: 'production',
      DATABASE_URL: join(dir, 'bench.db'),
      ADMIN_EMAIL,
      ADMIN_PASSWORD,
      LOG_LEVEL: 'warn',
      // One login per round; keep the throttle out of the way if rounds are many.
      AUTH_RATE_LIMIT_PER_MINUTE: '1000',
    });
  }
  const child = spawn(process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 20_000) output = output.slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${port}/graphql`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before listening:\n${output}`);
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} did not answer /health within 30 s:\n${output}`);
    await sleep(100);
  }
  return { name, child, url, output: () => output };
}

async function stopServer(server: Server): Promise<void> {
  const { child } = server;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  children.delete(child);
}

function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]);
}

// ---------------------------------------------------------------- GraphQL over HTTP

async function graphql(url: string, query: string, variables: Record<string, unknown> = {}, token?: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json()) as { data?: any; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(`GraphQL error: ${JSON.stringify(body.errors)}`);
  return body.data;
}

interface Target {
  subscription: string;
  /** The event's state, from a `next` message's payload. */
  state: (payload: any) => { enabled: boolean; message: string | null } | undefined;
  /** Done before RSS is read (login: argon2 allocates ~19 MiB that would otherwise be counted). */
  prepare: (url: string) => Promise<(enabled: boolean) => Promise<void>>;
}

const TARGETS: Record<Server['name'], Target> = {
  gatehouse: {
    subscription: 'subscription { maintenanceModeChanged { enabled message } }',
    state: (payload) => payload?.data?.maintenanceModeChanged,
    prepare: async (url) => {
      const data = await graphql(
        url,
        `mutation ($email: String!, $password: String!) {
          login(email: $email, password: $password) { __typename ... on LoginResult { token } }
        }`,
        { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
      );
      const token = data?.login?.token;
      if (!token) throw new Error(`admin login failed: ${JSON.stringify(data)}`);
      return async (enabled) => {
        const result = await graphql(
          url,
          `mutation ($enabled: Boolean!) {
            setMaintenanceMode(enabled: $enabled, message: "bench") { __typename ... on MaintenanceState { enabled } }
          }`,
          { enabled },
          token,
        );
        if (result?.setMaintenanceMode?.__typename !== 'MaintenanceState') throw new Error(`setMaintenanceMode: ${JSON.stringify(result)}`);
      };
    },
  },
  baseline: {
    subscription: 'subscription { stateChanged { enabled message } }',
    state: (payload) => payload?.data?.stateChanged,
    prepare: async (url) => async (enabled) => {
      await graphql(url, 'mutation ($enabled: Boolean!) { setState(enabled: $enabled, message: "bench") { enabled } }', { enabled });
    },
  },
};

// ---------------------------------------------------------------- the load driver

interface Subscriber {
  ws: WebSocket;
  initial: boolean;
  deliveredAt: number | null;
  problem: string | null;
}

let emfileSeen = false;

/** Opens one graphql-ws connection and subscribes; resolves once the initial event arrived. */
function subscribe(wsUrl: string, target: Target, subscribers: Subscriber[], expect: { enabled: boolean | null }): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, 'graphql-transport-ws', { perMessageDeflate: false });
    const sub: Subscriber = { ws, initial: false, deliveredAt: null, problem: null };
    subscribers.push(sub);
    const fail = (problem: string) => {
      sub.problem ??= problem;
      reject(new Error(problem));
    };
    ws.on('open', () => ws.send('{"type":"connection_init","payload":{}}'));
    ws.on('message', (raw) => {
      const at = performance.now(); // first thing: the driver's own parsing must not count
      const message = JSON.parse(raw.toString());
      switch (message.type) {
        case 'connection_ack':
          ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: target.subscription } }));
          return;
        case 'next': {
          const state = target.state(message.payload);
          if (!state) return fail(`unexpected payload ${JSON.stringify(message.payload)}`);
          if (!sub.initial) {
            sub.initial = true;
            resolve();
          } else if (sub.deliveredAt === null && expect.enabled !== null && state.enabled === expect.enabled) {
            sub.deliveredAt = at;
          }
          return;
        }
        case 'ping':
          ws.send('{"type":"pong"}');
          return;
        case 'pong':
          return;
        default:
          return fail(`unexpected message ${raw.toString().slice(0, 200)}`);
      }
    });
    ws.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EMFILE' || /EMFILE/.test(error.message)) emfileSeen = true;
      fail(`socket error: ${error.message}`);
    });
    ws.on('close', (code, reason) => {
      if (!sub.initial || sub.deliveredAt === null) fail(`closed ${code} ${reason.toString()}`);
    });
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

interface RoundResult {
  server: Server['name'];
  round: number;
  clients: number;
  connected: number;
  connectSeconds: number;
  connectRate: number;
  rssBeforeKiB: number;
  rssAfterKiB: number;
  rssPerConnectionKiB: number;
  triggerResponseMs: number;
  /** The same trigger's HTTP round trip with one subscriber (warm-up): the change's own cost. */
  unloadedTriggerMs: number;
  delivered: number;
  missing: number;
  minMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  problems: string[];
}

async function runOne(name: Server['name'], round: number): Promise<RoundResult> {
  const target = TARGETS[name];
  const server = await startServer(name);
  const subscribers: Subscriber[] = [];
  try {
    const wsUrl = server.url.replace(/^http/, 'ws');
    const trigger = await target.prepare(server.url);
    let unloadedTriggerMs = NaN;
    // Warm-up: one subscriber and a toggle on and off, so neither lazily loaded code nor a cold
    // first mutation is counted (as per-connection memory or as delivery time).
    {
      const warm: Subscriber[] = [];
      await withTimeout(subscribe(wsUrl, target, warm, { enabled: null }), 10_000, 'warm-up subscription');
      await trigger(true);
      const t = performance.now();
      await trigger(false);
      unloadedTriggerMs = performance.now() - t;
      await sleep(200);
      for (const s of warm) s.ws.terminate();
      await sleep(200);
    }
    const pid = server.child.pid!;
    const rssBeforeKiB = rssKiB(pid);

    // Connect N, CONNECT_CONCURRENCY at a time, each until its initial event.
    const expect = { enabled: null as boolean | null };
    const started = performance.now();
    let next = 0;
    let connected = 0;
    const problems: string[] = [];
    const worker = async () => {
      while (next < CLIENTS) {
        next++;
        try {
          await subscribe(wsUrl, target, subscribers, expect);
          connected++;
        } catch (error) {
          if (problems.length < 20) problems.push((error as Error).message);
        }
      }
    };
    await withTimeout(
      Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY, CLIENTS) }, worker)),
      CONNECT_TIMEOUT_MS,
      `connecting ${CLIENTS} clients`,
    ).catch((error: Error) => problems.push(error.message));
    const connectSeconds = (performance.now() - started) / 1000;
    await sleep(SETTLE_MS);
    const rssAfterKiB = rssKiB(pid);

    // One change; every live subscriber must see it.
    const live = subscribers.filter((s) => s.initial && s.problem === null);
    const enabled = true; // the warm-up left it off
    expect.enabled = enabled;
    const t0 = performance.now();
    await trigger(enabled);
    const triggerResponseMs = performance.now() - t0;
    const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
    while (live.some((s) => s.deliveredAt === null) && Date.now() < deadline) await sleep(5);

    const latencies = live
      .filter((s) => s.deliveredAt !== null)
      .map((s) => s.deliveredAt! - t0)
      .sort((a, b) => a - b);
    for (const s of subscribers) if (s.problem && problems.length < 20) problems.push(s.problem);
    return {
      server: name,
      round,
      clients: CLIENTS,
      connected,
      connectSeconds: round3(connectSeconds),
      connectRate: Math.round(connected / connectSeconds),
      rssBeforeKiB,
      rssAfterKiB,
      rssPerConnectionKiB: round3((rssAfterKiB - rssBeforeKiB) / Math.max(1, connected)),
      triggerResponseMs: round3(triggerResponseMs),
      unloadedTriggerMs: round3(unloadedTriggerMs),
      delivered: latencies.length,
      missing: CLIENTS - latencies.length,
      minMs: round3(latencies[0] ?? NaN),
      p50Ms: round3(percentile(latencies, 50)),
      p99Ms: round3(percentile(latencies, 99)),
      maxMs: round3(latencies.at(-1) ?? NaN),
      problems: [...new Set(problems)].slice(0, 10),
    };
  } finally {
    for (const s of subscribers) s.ws.terminate();
    await stopServer(server);
  }
}

// ---------------------------------------------------------------- report

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round3 = (n: number) => Math.round(n * 1000) / 1000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    }),
  ]);
}

function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const only = opts.only as Server['name'] | undefined;
  const order: Server['name'][] = only ? [only] : ['gatehouse', 'baseline'];
  const fdLimit = Number(execText('sh', ['-c', 'ulimit -n']) || NaN);
  process.stdout.write(
    `Subscription fan-out: ${CLIENTS} graphql-ws clients, ${ROUNDS} round(s) ${order.map((n) => (n === 'gatehouse' ? 'A' : 'B')).join(' ')} …, ` +
      `${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), Node ${process.version}\n`,
  );
  if (Number.isFinite(fdLimit) && fdLimit < CLIENTS + 200) {
    process.stdout.write(
      `WARNING: open-file limit (ulimit -n) is ${fdLimit}, below ${CLIENTS} clients + headroom: expect EMFILE. ` +
        `Raise it first (e.g. \`ulimit -n ${CLIENTS * 2 + 1000}\`, hard limit ${execText('sh', ['-c', 'ulimit -Hn'])}).\n`,
    );
  }

  const results: RoundResult[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const name of order) {
      let result: RoundResult | undefined;
      // Another change may have left the server briefly unable to start; try a second time.
      for (let attempt = 1; attempt <= 2 && !result; attempt++) {
        try {
          result = await runOne(name, round);
        } catch (error) {
          process.stdout.write(`  round ${round} ${name}: failed (attempt ${attempt}): ${(error as Error).message.slice(0, 2000)}\n`);
          if (attempt === 2) throw error;
          await sleep(2000);
        }
      }
      results.push(result!);
      process.stdout.write(
        `  round ${round} ${name.padEnd(9)} connect ${result!.connectRate}/s (${result!.connected}/${CLIENTS} in ${result!.connectSeconds.toFixed(2)} s)  ` +
          `delivery min ${fmt(result!.minMs)} p50 ${fmt(result!.p50Ms)} p99 ${fmt(result!.p99Ms)} max ${fmt(result!.maxMs)} ms` +
          `${result!.missing ? ` (${result!.missing} MISSING)` : ''}  mutation ${fmt(result!.triggerResponseMs)} ms (${fmt(result!.unloadedTriggerMs)} with 1 sub)  ` +
          `RSS ${(result!.rssBeforeKiB / 1024).toFixed(0)}→${(result!.rssAfterKiB / 1024).toFixed(0)} MiB = ${fmt(result!.rssPerConnectionKiB)} KiB/conn\n`,
      );
      for (const problem of result!.problems) process.stdout.write(`      ! ${problem}\n`);
    }
  }
  if (emfileSeen) {
    process.stdout.write(`WARNING: EMFILE (too many open files) seen: raise \`ulimit -n\` (now ${fdLimit}) above ${CLIENTS * 2 + 1000} and rerun.\n`);
  }

  const metrics = ['connectRate', 'minMs', 'p50Ms', 'p99Ms', 'maxMs', 'triggerResponseMs', 'unloadedTriggerMs', 'rssPerConnectionKiB'] as const;
  const medians: Record<string, Record<string, number>> = {};
  for (const name of order) {
    medians[name] = {};
    for (const metric of metrics) medians[name][metric] = round3(median(results.filter((r) => r.server === name).map((r) => r[metric])));
  }
  const goals: Record<string, { goal: string; ok: (ratio: number) => boolean }> = {
    maxMs: { goal: '≤ 1.2× (issue 8), ≤ 1.5× (issue 5)', ok: (r) => r <= 1.2 },
    rssPerConnectionKiB: { goal: '≤ 1.2×', ok: (r) => r <= 1.2 },
  };
  const labels: Record<(typeof metrics)[number], string> = {
    connectRate: 'connect rate (conn/s)',
    minMs: 'delivery min (ms)',
    p50Ms: 'delivery p50 (ms)',
    p99Ms: 'delivery p99 (ms)',
    maxMs: 'delivery max (ms)',
    triggerResponseMs: 'trigger HTTP round trip (ms)',
    unloadedTriggerMs: 'same, 1 subscriber (ms)',
    rssPerConnectionKiB: 'RSS per idle subscriber (KiB)',
  };
  const ratios: Record<string, number> = {};
  const rows: string[][] = [['metric (median)', 'gatehouse', 'baseline', 'ratio G/B', 'goal', 'met']];
  for (const metric of metrics) {
    const g = medians['gatehouse']?.[metric] ?? NaN;
    const b = medians['baseline']?.[metric] ?? NaN;
    const ratio = round3(g / b);
    ratios[metric] = ratio;
    const goal = goals[metric];
    rows.push([labels[metric], fmt(g), fmt(b), Number.isFinite(ratio) ? ratio.toFixed(2) : '-', goal?.goal ?? '', goal && Number.isFinite(ratio) ? (goal.ok(ratio) ? 'yes' : 'NO') : '']);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  process.stdout.write(`\n${CLIENTS} subscribers, median of ${ROUNDS} round(s):\n`);
  for (const row of rows) process.stdout.write(`  ${row.map((cell, i) => (i === 0 || i === 4 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')}\n`);
  process.stdout.write(
    '  (issue 5 reference on the 2-core machine: baseline 2,000 subscribers max ≈ 140 ms, ≈ 54 KiB/conn; 10,000 max ≈ 450 ms)\n',
  );

  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `subscriptions-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        benchmark: 'subscriptions',
        date: new Date().toISOString(),
        machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryMiB: Math.round(totalmem() / 2 ** 20), node: process.version },
        options: { clients: CLIENTS, rounds: ROUNDS, connectConcurrency: CONNECT_CONCURRENCY, settleMs: SETTLE_MS },
        medians,
        ratios,
        goals: { maxMs: 1.2, rssPerConnectionKiB: 1.2 },
        rounds: results,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`\nResults: ${file}\n`);
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return '-';
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

function execText(command: string, args: string[]): string {
  return (spawnSync(command, args, { encoding: 'utf8', timeout: 5000 }).stdout ?? '').trim();
}

try {
  await main();
} catch (error) {
  process.stderr.write(`bench:subscriptions failed: ${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
} finally {
  cleanup();
}

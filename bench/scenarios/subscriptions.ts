// Subscription fan-out (issue 5 "Performance", issue 8's table): one maintenance toggle delivered
// to N graphql-ws subscribers, and the memory each idle subscriber costs.
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
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { adminSession, graphql, startGatehouse } from '../lib/gatehouse.ts';
import { ROOT, rssKiB, sleep, startProcess, withTimeout, type BenchProcess } from '../lib/processes.ts';
import { fmt, median, type ResultRow, type RunOptions } from '../lib/report.ts';

type ServerName = 'gatehouse' | 'baseline';

/** Connection setups (open → ack → subscribe → initial event) in flight at once. */
const CONNECT_CONCURRENCY = 100;
/** Pause after the last initial event, so the servers are idle when RSS is read and the trigger fires. */
const SETTLE_MS = 500;
const DELIVERY_TIMEOUT_MS = 30_000;

function startServer(name: ServerName): Promise<BenchProcess> {
  if (name === 'gatehouse') return startGatehouse();
  return startProcess({ name: 'subscription-baseline', args: [join(ROOT, 'bench', 'servers', 'subscription-baseline.ts')] });
}

interface Target {
  subscription: string;
  /** The event's state, from a `next` message's payload. */
  state: (payload: any) => { enabled: boolean; message: string | null } | undefined;
  /** Done before RSS is read (login: argon2 allocates ~19 MiB that would otherwise be counted). */
  prepare: (url: string) => Promise<(enabled: boolean) => Promise<void>>;
}

const TARGETS: Record<ServerName, Target> = {
  gatehouse: {
    subscription: 'subscription { maintenanceModeChanged { enabled message } }',
    state: (payload) => payload?.data?.maintenanceModeChanged,
    prepare: async (url) => {
      const token = await adminSession({ origin: url.replace(/\/graphql$/, '') });
      return async (enabled) => {
        const result = await graphql(
          url,
          `mutation ($enabled: Boolean!) {
            setMaintenanceMode(input: { enabled: $enabled, message: "bench" }) { __typename ... on MaintenanceState { enabled } }
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
  server: ServerName;
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

async function runOne(name: ServerName, round: number, clients: number): Promise<RoundResult> {
  const target = TARGETS[name];
  const server = await startServer(name);
  const CLIENTS = clients;
  const CONNECT_TIMEOUT_MS = 30_000 + clients * 20;
  const subscribers: Subscriber[] = [];
  try {
    const url = `${server.origin}/graphql`;
    const wsUrl = url.replace(/^http/, 'ws');
    const trigger = await target.prepare(url);
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
    await server.stop();
  }
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

function execText(command: string, args: string[]): string {
  return (spawnSync(command, args, { encoding: 'utf8', timeout: 5000 }).stdout ?? '').trim();
}

export interface SubscriptionRun {
  clients: number;
  rounds: RoundResult[];
  medians: Record<ServerName, Record<string, number>>;
}

/** Rounds A B A B … of `clients` subscribers each; prints one line per round through `log`. */
export async function measureSubscriptions(clients: number, rounds: number, log: (line: string) => void, only?: ServerName): Promise<SubscriptionRun> {
  const order: ServerName[] = only ? [only] : ['gatehouse', 'baseline'];
  const fdLimit = Number(execText('sh', ['-c', 'ulimit -n']) || NaN);
  if (Number.isFinite(fdLimit) && fdLimit < clients + 200) {
    log(`  WARNING: open-file limit (ulimit -n) is ${fdLimit}, below ${clients} clients + headroom: expect EMFILE (raise it, e.g. \`ulimit -n ${clients * 2 + 1000}\`).`);
  }
  const results: RoundResult[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const name of order) {
      let result: RoundResult | undefined;
      // A server that failed to start (port race) gets a second chance before the run fails.
      for (let attempt = 1; attempt <= 2 && !result; attempt++) {
        try {
          result = await runOne(name, round, clients);
        } catch (error) {
          log(`  round ${round} ${name}: failed (attempt ${attempt}): ${(error as Error).message.slice(0, 2000)}`);
          if (attempt === 2) throw error;
          await sleep(2000);
        }
      }
      const r = result!;
      results.push(r);
      log(
        `  ${clients} subscribers round ${round} ${name.padEnd(9)} connect ${r.connectRate}/s  delivery p50 ${fmt(r.p50Ms)} max ${fmt(r.maxMs)} ms` +
          `${r.missing ? ` (${r.missing} MISSING)` : ''}  mutation ${fmt(r.triggerResponseMs)} ms  RSS ${(r.rssBeforeKiB / 1024).toFixed(0)}→${(r.rssAfterKiB / 1024).toFixed(0)} MiB = ${fmt(r.rssPerConnectionKiB)} KiB/conn`,
      );
      for (const problem of r.problems) log(`      ! ${problem}`);
      if (r.missing) throw new Error(`${r.missing} of ${clients} subscribers missed the event (${name})`);
    }
  }
  if (emfileSeen) log(`  WARNING: EMFILE (too many open files) seen: raise \`ulimit -n\` (now ${fdLimit}).`);
  const metrics = ['connectRate', 'minMs', 'p50Ms', 'p99Ms', 'maxMs', 'triggerResponseMs', 'unloadedTriggerMs', 'rssPerConnectionKiB'] as const;
  const medians = {} as Record<ServerName, Record<string, number>>;
  for (const name of order) {
    medians[name] = {};
    for (const metric of metrics) medians[name][metric] = round3(median(results.filter((r) => r.server === name).map((r) => r[metric])));
  }
  return { clients, rounds: results, medians };
}

/** The `npm run bench` rows: delivery max at `clients`, and (if asked) RSS per idle subscriber. */
export function subscriptionScenario(clients: number, withMemory: boolean) {
  return async (options: RunOptions): Promise<ResultRow[]> => {
    const run = await measureSubscriptions(options.quick ? Math.min(clients, 500) : clients, options.rounds, options.log);
    const samples = (metric: string) => ({
      gatehouse: run.rounds.filter((r) => r.server === 'gatehouse').map((r) => r[metric as keyof RoundResult] as number),
      baseline: run.rounds.filter((r) => r.server === 'baseline').map((r) => r[metric as keyof RoundResult] as number),
    });
    const rows: ResultRow[] = [
      {
        scenario: `maintenance toggle → ${run.clients.toLocaleString('en')} graphql-ws subscribers`,
        metric: 'delivery max ms',
        gatehouse: run.medians.gatehouse.maxMs!,
        baseline: run.medians.baseline.maxMs!,
        baselineLabel: 'plain graphql-ws + yoga pubsub',
        goal: { kind: 'max', ratio: 1.2 },
        samples: samples('maxMs'),
      },
    ];
    if (withMemory) {
      rows.push({
        scenario: `RSS per idle subscriber (${run.clients.toLocaleString('en')} connected)`,
        metric: 'KiB',
        gatehouse: run.medians.gatehouse.rssPerConnectionKiB!,
        baseline: run.medians.baseline.rssPerConnectionKiB!,
        baselineLabel: 'the same plain server',
        goal: { kind: 'max', ratio: 1.2 },
        samples: samples('rssPerConnectionKiB'),
      });
    }
    return rows;
  };
}

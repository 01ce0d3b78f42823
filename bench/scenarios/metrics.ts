// The cost of metrics: the session `viewer` query against a Gatehouse with METRICS_TOKEN set (the
// metrics plugin on every operation, Node's default metrics, and a scrape of /metrics every second
// while the load runs, far more often than Prometheus' usual 15 s) and against the same server
// without it. Both servers run on the same kind of database and are loaded at the same time, each
// by its own load driver with half the connections, so a drift of the machine (other work on its
// cores) weighs on both alike rather than on one round of one of them. Two rows: throughput, and the
// server's CPU time per request, which a busy shared machine moves less (a server starved of CPU
// answers fewer requests but spends about the same on each).
//
// BENCH_METRICS_CONTROL=1 starts both servers without METRICS_TOKEN (an A/A run): the spread it
// shows is what the machine's noise alone does to these ratios.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminSession, startGatehouse } from '../lib/gatehouse.ts';
import { tempDir } from '../lib/processes.ts';
import { checkSample, cpuNote, runCheckedLoad, type GraphQLLoad, type LoadResult } from '../lib/load.ts';
import type { BenchProcess } from '../lib/processes.ts';
import { fmt, median, type Goal, type ResultRow, type RunOptions } from '../lib/report.ts';
import { viewerAt } from './requests.ts';

const CONNECTIONS = 50;
const METRICS_TOKEN = 'bench-metrics-token-0123456789abcdef';

/** Scrapes /metrics every `intervalMs` until stopped; resolves with the number of scrapes. */
function scrapeWhile(server: BenchProcess, intervalMs: number, control: boolean): { stop(): Promise<number> } {
  let scrapes = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const res = await fetch(`${server.origin}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      const text = await res.text();
      if (!control && (res.status !== 200 || !text.includes('gatehouse_graphql_operations_total{'))) throw new Error(`/metrics answered ${res.status} without operations`);
      scrapes++;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
    return scrapes;
  })();
  return {
    stop: () => {
      running = false;
      return loop;
    },
  };
}

export async function metricsScenario(options: RunOptions): Promise<ResultRow[]> {
  const env = await options.backend.serverEnv('metrics');
  const servers: BenchProcess[] = [];
  try {
    const control = process.env.BENCH_METRICS_CONTROL === '1';
    if (control) options.log('  metrics: control run (BENCH_METRICS_CONTROL=1): both servers without METRICS_TOKEN');
    const on = await startGatehouse({ env: control ? env : { ...env, METRICS_TOKEN } });
    servers.push(on);
    const off = await startGatehouse({ env: await options.backend.serverEnv('metrics_off') });
    servers.push(off);
    const targets: Record<'on' | 'off', GraphQLLoad> = { on: viewerAt(on, await adminSession(on)), off: viewerAt(off, await adminSession(off)) };
    for (const load of Object.values(targets)) {
      await checkSample(load);
      await runCheckedLoad(load, { connections: CONNECTIONS, durationSeconds: options.warmupSeconds });
    }
    const samples = { on: [] as number[], off: [] as number[] };
    const cpu = { on: [] as number[], off: [] as number[] };
    /** Microseconds of server CPU per request. */
    const cpuPerRequest = (r: LoadResult) => ((r.serverCpuShare ?? NaN) * 1e6) / r.requestsPerSecond;
    let voidRounds = 0;
    let driverCpuMax = 0;
    let scrapes = 0;
    for (let round = 1; round <= options.rounds; round++) {
      // Both at once, each with half the connections: whatever else the machine runs meanwhile
      // slows both alike, and the server that spends more per request answers fewer.
      const scraper = scrapeWhile(on, 1_000, control);
      const [onResult, offResult] = await Promise.all([
        runCheckedLoad(targets.on, { connections: CONNECTIONS / 2, durationSeconds: options.durationSeconds }),
        runCheckedLoad(targets.off, { connections: CONNECTIONS / 2, durationSeconds: options.durationSeconds }),
      ]);
      scrapes += await scraper.stop();
      const results = { on: onResult, off: offResult };
      for (const name of ['on', 'off'] as const) {
        const r = results[name];
        options.log(`  metrics round ${round} ${`metrics ${name}`.padEnd(11)} ${fmt(r.requestsPerSecond)} req/s  p50 ${r.latencyP50Ms} ms  p99 ${r.latencyP99Ms} ms  ${cpuNote(r)}`);
      }
      if (results.on.driverSaturated || results.off.driverSaturated) {
        voidRounds++;
        options.log(`  metrics round ${round} VOID: the load driver saturated a core in one of its runs`);
        continue;
      }
      samples.on.push(results.on.requestsPerSecond);
      samples.off.push(results.off.requestsPerSecond);
      cpu.on.push(cpuPerRequest(results.on));
      cpu.off.push(cpuPerRequest(results.off));
      driverCpuMax = Math.max(driverCpuMax, results.on.driverCpuShare, results.off.driverCpuShare);
      options.log(
        `  metrics round ${round} ratios on/off: req/s ${(results.on.requestsPerSecond / results.off.requestsPerSecond).toFixed(3)}×  CPU/request ${(cpu.on.at(-1)! / cpu.off.at(-1)!).toFixed(3)}×`,
      );
    }
    options.log(`  metrics: ${scrapes} scrapes of /metrics during the metrics-on runs`);
    const row = (scenario: string, metric: string, values: { on: number[]; off: number[] }, goal: Goal): ResultRow => ({
      scenario,
      metric,
      gatehouse: median(values.on),
      baseline: median(values.off),
      baselineLabel: 'the same server without METRICS_TOKEN',
      goal,
      samples: { gatehouse: values.on, baseline: values.off },
      voidRounds,
      ...(values.on.length ? { driverCpuMax } : {}),
    });
    const rows = [
      row('`{ viewer { id email } }`, METRICS_TOKEN set, /metrics scraped every second', 'req/s', samples, { kind: 'min', ratio: 0.97 }),
      row('same, server CPU per request', 'µs CPU', cpu, { kind: 'max', ratio: 1.03 }),
    ];
    if (!control) rows.push(await profiledShare(options, env));
    return rows;
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

/** Frames of code that exists for metrics: a sample whose stack holds one is metrics' CPU. */
const METRICS_CODE = /\/src\/observability\/|\/node_modules\/prom-client\/|\/src\/webhooks\/metrics\.ts/;

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * The share of a METRICS_TOKEN server's busy CPU spent in metrics code, from a V8 CPU profile of
 * one load run (with the scrape every second): a measure within one process, which the machine's
 * other work moves far less than it moves two servers' throughput (see the control run).
 */
async function profiledShare(options: RunOptions, env: Record<string, string>): Promise<ResultRow> {
  const dir = tempDir('metrics-profile');
  const server = await startGatehouse({ env: { ...env, METRICS_TOKEN }, nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  try {
    const load = viewerAt(server, await adminSession(server));
    await runCheckedLoad(load, { connections: CONNECTIONS / 2, durationSeconds: options.warmupSeconds });
    const scraper = scrapeWhile(server, 1_000, false);
    await runCheckedLoad(load, { connections: CONNECTIONS / 2, durationSeconds: options.durationSeconds });
    await scraper.stop();
  } finally {
    await server.stop();
  }
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no CPU profile was written to ${dir}`);
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  const parent = new Map<number, number>();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const isMetrics = new Map<number, boolean>();
  const inMetrics = (id: number): boolean => {
    let known = isMetrics.get(id);
    if (known === undefined) {
      const up = parent.get(id);
      known = METRICS_CODE.test(byId.get(id)!.callFrame.url) || (up !== undefined && inMetrics(up));
      isMetrics.set(id, known);
    }
    return known;
  };
  let busy = 0;
  let metrics = 0;
  profile.samples.forEach((id, i) => {
    if (byId.get(id)!.callFrame.functionName === '(idle)') return;
    const dt = profile.timeDeltas[i]! / 1000;
    busy += dt;
    if (inMetrics(id)) metrics += dt;
  });
  options.log(`  metrics: profiled run, ${fmt(metrics)} of ${fmt(busy)} ms busy CPU in metrics code (start-up included)`);
  return {
    scenario: 'same, share of the server CPU profile in metrics code (plugin, prom-client, scrapes)',
    metric: 'ms CPU',
    gatehouse: metrics,
    baseline: busy,
    baselineLabel: 'all busy CPU of the same run',
    goal: { kind: 'max', ratio: 0.03 },
  };
}

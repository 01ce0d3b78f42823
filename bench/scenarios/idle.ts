// Idle memory: the resident set (VmRSS) of Gatehouse and of bare yoga a few seconds after each has
// answered one request, and how long Gatehouse's first `validatePassword` takes after that idle.
//
// A first start on a fresh database creates the admin (ADMIN_EMAIL/ADMIN_PASSWORD) and, when it is
// empty, fills Node's compile cache (bin/gatehouse.js); it is measured and logged, not counted. Each round then starts both servers again,
// Gatehouse on that database, as a deployed server restarts: one warm-up request each, SETTLE_MS of
// idling, RSS read; then Gatehouse answers `validatePassword` twice (the first answer and a warm
// one, logged). Both servers of a round run at the same time, so the machine's state is shared.
import { join } from 'node:path';
import { graphql, startGatehouse } from '../lib/gatehouse.ts';
import { ROOT, rssKiB, sleep, startProcess, tempDir, type BenchProcess } from '../lib/processes.ts';
import { fmt, median, type ResultRow, type RunOptions } from '../lib/report.ts';

const VALIDATE_PASSWORD = `query ($password: String!, $email: String) {
  validatePassword(password: $password, email: $email) { score acceptable }
}`;

interface IdleSample {
  gatehouseKiB: number;
  yogaKiB: number;
  firstAnswerMs: number;
  warmAnswerMs: number;
}

/** RSS after idling: the median of a few reads, so a read during a timer's work does not count. */
async function idleRssKiB(server: BenchProcess): Promise<number> {
  const reads: number[] = [];
  for (let i = 0; i < 5; i++) {
    reads.push(rssKiB(server.child.pid!));
    await sleep(100);
  }
  return median(reads);
}

async function timedValidatePassword(server: BenchProcess, password: string): Promise<number> {
  const started = performance.now();
  const data = await graphql(`${server.origin}/graphql`, VALIDATE_PASSWORD, { password, email: 'marvin.minsky@example.com' });
  const ms = performance.now() - started;
  if (typeof data?.validatePassword?.score !== 'number') throw new Error(`validatePassword: ${JSON.stringify(data)}`);
  return ms;
}

async function warmUp(server: BenchProcess, query: string): Promise<void> {
  await graphql(`${server.origin}/graphql`, query);
}

async function measureRound(databasePath: string, settleMs: number): Promise<IdleSample> {
  const [yoga, gatehouse] = await Promise.all([
    startProcess({ name: 'bare-yoga', args: [join(ROOT, 'bench', 'servers', 'bare-yoga.ts')] }),
    startGatehouse({ databasePath }),
  ]);
  try {
    await Promise.all([warmUp(yoga, '{ hello }'), warmUp(gatehouse, '{ maintenance { enabled } }')]);
    await sleep(settleMs);
    const [gatehouseKiB, yogaKiB] = await Promise.all([idleRssKiB(gatehouse), idleRssKiB(yoga)]);
    // After the RSS reads: the answers allocate.
    const firstAnswerMs = await timedValidatePassword(gatehouse, 'correct horse battery staple');
    const warmAnswerMs = await timedValidatePassword(gatehouse, 'correct horse battery staple');
    return { gatehouseKiB, yogaKiB, firstAnswerMs, warmAnswerMs };
  } finally {
    await Promise.all([yoga.stop(), gatehouse.stop()]);
  }
}

const mib = (kib: number) => kib / 1024;

export async function idleScenario(options: RunOptions): Promise<ResultRow[]> {
  const settleMs = options.quick ? 2_000 : 5_000;
  const databasePath = join(tempDir('idle'), 'idle.db');
  const first = await measureRound(databasePath, settleMs);
  options.log(
    `  idle first start (creates the admin; fills the compile cache if empty): Gatehouse ${fmt(mib(first.gatehouseKiB))} MiB, ` +
      `bare yoga ${fmt(mib(first.yogaKiB))} MiB (${(first.gatehouseKiB / first.yogaKiB).toFixed(2)}×), not counted`,
  );
  const samples: IdleSample[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const sample = await measureRound(databasePath, settleMs);
    samples.push(sample);
    options.log(
      `  idle round ${round} Gatehouse ${fmt(mib(sample.gatehouseKiB))} MiB  bare yoga ${fmt(mib(sample.yogaKiB))} MiB  ` +
        `(${(sample.gatehouseKiB / sample.yogaKiB).toFixed(2)}×)  validatePassword first ${fmt(sample.firstAnswerMs)} ms, again ${fmt(sample.warmAnswerMs)} ms`,
    );
  }
  const gatehouse = samples.map((s) => mib(s.gatehouseKiB));
  const yoga = samples.map((s) => mib(s.yogaKiB));
  options.log(
    `  validatePassword after idling: first answer median ${fmt(median(samples.map((s) => s.firstAnswerMs)))} ms, ` +
      `the same query again ${fmt(median(samples.map((s) => s.warmAnswerMs)))} ms`,
  );
  return [
    {
      scenario: `idle RSS, ${settleMs / 1000} s after one request (restarted server)`,
      metric: 'MiB',
      gatehouse: median(gatehouse),
      baseline: median(yoga),
      baselineLabel: 'bare yoga, same wait',
      goal: { kind: 'max', ratio: 1.5 },
      samples: { gatehouse, baseline: yoga },
    },
  ];
}

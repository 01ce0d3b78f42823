// Two-step sign-in: `login` + `verifySecondFactor(totp)` per sign-in against plain `login`, both
// driven the same way (4 sign-ins in flight, undici from this process, whose CPU share is
// reported), rounds alternating A B A B. A TOTP code is accepted once per account and 30-second
// step, so the two-step load cycles over 1,500 accounts with TOTP, each given the next step it has
// not used (bench/lib/totp.ts); the plain logins cycle over as many accounts without a factor, so
// that both sides read and write rows of as many users (one account's rows stay in the cache).
// Building the accounts (two argon2 hashings each) and signing each in once take about four minutes.
import { adminSession, graphql, startGatehouse } from '../lib/gatehouse.ts';
import { fmt, median, type ResultRow, type RunOptions } from '../lib/report.ts';
import { processCpuMicros } from '../lib/load.ts';
import { createSignedInUser, createTotpAccount, LOGIN, signInWithTotp, type TotpAccount } from '../lib/totp.ts';

const CONCURRENCY = 4;
const PASSWORD = 'Bench-mfa-password-1234!';

/** `count` calls of `task` (with its index), CONCURRENCY at a time; their results, in completion order. */
async function concurrently<T>(count: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) results.push(await task(next++));
    }),
  );
  return results;
}

const createAccounts = (url: string, admin: string, count: number): Promise<TotpAccount[]> =>
  concurrently(count, (i) => createTotpAccount(url, admin, `bench-mfa-${i}@example.com`, PASSWORD));

/** Confirmed accounts without a second factor (signed in once, as the TOTP ones were); their emails. */
const createPlainAccounts = (url: string, admin: string, count: number): Promise<string[]> =>
  concurrently(count, async (i) => {
    const email = `bench-plain-${i}@example.com`;
    await createSignedInUser(url, admin, email, PASSWORD);
    return email;
  });

const ms = (micros: number | null) => (micros === null ? '?' : (micros / 1000).toFixed(2));

interface SignInRun {
  perSecond: number;
  /** This process's CPU share of one core. */
  driverShare: number;
  /** The server's CPU time per sign-in, µs (null where /proc is not there). */
  serverMicros: number | null;
  /** Of which the server's main thread (the event loop: everything but the hashing pool). */
  mainMicros: number | null;
}

/** Sign-ins completed per second with CONCURRENCY in flight, this process's CPU share, and the server's CPU per sign-in. */
async function run(seconds: number, signIn: () => Promise<void>, serverPid: number): Promise<SignInRun> {
  const cpu = process.cpuUsage();
  const serverBefore = processCpuMicros(serverPid);
  const mainBefore = processCpuMicros(serverPid, true);
  const started = performance.now();
  const until = started + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        await signIn();
        done++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const serverAfter = processCpuMicros(serverPid);
  const mainAfter = processCpuMicros(serverPid, true);
  const serverMicros = serverBefore === null || serverAfter === null || done === 0 ? null : (serverAfter - serverBefore) / done;
  const mainMicros = mainBefore === null || mainAfter === null || done === 0 ? null : (mainAfter - mainBefore) / done;
  return { perSecond: done / elapsed, driverShare: (used.user + used.system) / 1e6 / elapsed, serverMicros, mainMicros };
}

export async function mfaScenario(options: RunOptions): Promise<ResultRow[]> {
  const gatehouse = await startGatehouse({ env: await options.backend.serverEnv('mfa') });
  try {
    const url = `${gatehouse.origin}/graphql`;
    const admin = await adminSession(gatehouse);
    // Enough accounts that none waits for its next step: in steady state each account has one new
    // step every 30 s, so about 30 s × the sign-in rate (≈ 50/s here); building them takes two minutes.
    const count = options.quick ? 250 : 1500;
    const accounts = await createAccounts(url, admin, count);
    const plainAccounts = await createPlainAccounts(url, admin, count);
    let cursor = 0;
    let plainCursor = 0;
    const plain = async () => {
      const email = plainAccounts[plainCursor++ % plainAccounts.length]!;
      const data = await graphql(url, LOGIN, { email, password: PASSWORD });
      if (data.login.__typename !== 'CreatedSession') throw new Error(`login: ${JSON.stringify(data)}`);
    };
    const twoStep = async () => {
      for (let tries = 0; tries < accounts.length; tries++) {
        if (await signInWithTotp(url, accounts[cursor++ % accounts.length]!)) return;
      }
      throw new Error('every account has used its codes for now: more accounts are needed');
    };
    const pid = gatehouse.child.pid!;
    // Every account signs in once before the rounds (then as long as the other scenarios warm up):
    // the first rounds measured first visits of accounts made minutes earlier, 5–10% slower.
    await concurrently(plainAccounts.length, plain);
    await concurrently(accounts.length, twoStep);
    await run(options.warmupSeconds, plain, pid);
    await run(options.warmupSeconds, twoStep, pid);
    const a: number[] = [];
    const b: number[] = [];
    const cpuA: number[] = [];
    const cpuB: number[] = [];
    let driverMax = 0;
    for (let round = 1; round <= options.rounds; round++) {
      // The order alternates (A B, B A …): the run after the other should not always be one side.
      const first = round % 2 === 1 ? plain : twoStep;
      const one = await run(options.durationSeconds, first, pid);
      const other = await run(options.durationSeconds, first === plain ? twoStep : plain, pid);
      const [base, mfa] = first === plain ? [one, other] : [other, one];
      a.push(mfa.perSecond);
      b.push(base.perSecond);
      if (mfa.serverMicros !== null && base.serverMicros !== null) {
        cpuA.push(mfa.serverMicros);
        cpuB.push(base.serverMicros);
      }
      driverMax = Math.max(driverMax, base.driverShare, mfa.driverShare);
      options.log(
        `  mfa round ${round} login+verifySecondFactor ${fmt(mfa.perSecond)}/s  login ${fmt(base.perSecond)}/s  ` +
          `(driver ${(mfa.driverShare * 100).toFixed(0)}% / ${(base.driverShare * 100).toFixed(0)}%; server CPU per sign-in ` +
          `${ms(mfa.serverMicros)} / ${ms(base.serverMicros)} ms, main thread ${ms(mfa.mainMicros)} / ${ms(base.mainMicros)} ms)`,
      );
    }
    return [
      {
        scenario: '`login` + `verifySecondFactor(totp)`, 4 concurrent',
        metric: 'sign-ins/s',
        gatehouse: median(a),
        baseline: median(b),
        baselineLabel: 'plain `login`, as many accounts',
        goal: { kind: 'min', ratio: 0.95 },
        samples: { gatehouse: a, baseline: b },
        driverCpuMax: driverMax,
      },
      // The driver shares the machine's two cores and makes two requests per two-step sign-in: the
      // server's own CPU per sign-in is what the second step costs it, whatever the driver takes.
      ...(cpuA.length
        ? [
            {
              scenario: 'the same: the server’s CPU time per sign-in',
              metric: 'ms',
              gatehouse: median(cpuA) / 1000,
              baseline: median(cpuB) / 1000,
              baselineLabel: 'plain `login`',
              goal: { kind: 'max' as const, ratio: 1.05 },
              samples: { gatehouse: cpuA.map((v) => v / 1000), baseline: cpuB.map((v) => v / 1000) },
              driverCpuMax: driverMax,
            },
          ]
        : []),
    ];
  } finally {
    await gatehouse.stop();
  }
}

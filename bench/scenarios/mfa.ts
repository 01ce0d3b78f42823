// Two-step sign-in: `login` + `verifySecondFactor(totp)` per sign-in against plain `login`, both
// driven the same way (4 sign-ins in flight, fetch from this process, whose CPU share is
// reported), rounds alternating A B A B. A TOTP code is accepted once per account and 30-second
// step, so the two-step load cycles over 1,500 accounts with TOTP, each given the next step it has
// not used (bench/lib/totp.ts). Building the accounts (two argon2 hashings each) takes about two minutes.
import { ADMIN_EMAIL, ADMIN_PASSWORD, adminSession, graphql, startGatehouse } from '../lib/gatehouse.ts';
import { fmt, median, type ResultRow, type RunOptions } from '../lib/report.ts';
import { createTotpAccount, LOGIN, signInWithTotp, type TotpAccount } from '../lib/totp.ts';

const CONCURRENCY = 4;
const PASSWORD = 'Bench-mfa-password-1234!';

async function createAccounts(url: string, admin: string, count: number): Promise<TotpAccount[]> {
  const accounts: TotpAccount[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) accounts.push(await createTotpAccount(url, admin, `bench-mfa-${next++}@example.com`, PASSWORD));
    }),
  );
  return accounts;
}

/** Sign-ins completed per second with CONCURRENCY in flight, and this process's CPU share of one core. */
async function run(seconds: number, signIn: () => Promise<void>): Promise<{ perSecond: number; driverShare: number }> {
  const cpu = process.cpuUsage();
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
  return { perSecond: done / elapsed, driverShare: (used.user + used.system) / 1e6 / elapsed };
}

export async function mfaScenario(options: RunOptions): Promise<ResultRow[]> {
  const gatehouse = await startGatehouse({ env: await options.backend.serverEnv('mfa') });
  try {
    const url = `${gatehouse.origin}/graphql`;
    const admin = await adminSession(gatehouse);
    // Enough accounts that none waits for its next step: in steady state each account has one new
    // step every 30 s, so about 30 s × the sign-in rate (≈ 50/s here); building them takes two minutes.
    const accounts = await createAccounts(url, admin, options.quick ? 250 : 1500);
    let cursor = 0;
    const plain = async () => {
      const data = await graphql(url, LOGIN, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
      if (data.login.__typename !== 'CreatedSession') throw new Error(`login: ${JSON.stringify(data)}`);
    };
    const twoStep = async () => {
      for (let tries = 0; tries < accounts.length; tries++) {
        if (await signInWithTotp(url, accounts[cursor++ % accounts.length]!)) return;
      }
      throw new Error('every account has used its codes for now: more accounts are needed');
    };
    await run(options.warmupSeconds, plain);
    await run(options.warmupSeconds, twoStep);
    const a: number[] = [];
    const b: number[] = [];
    let driverMax = 0;
    for (let round = 1; round <= options.rounds; round++) {
      const base = await run(options.durationSeconds, plain);
      const mfa = await run(options.durationSeconds, twoStep);
      a.push(mfa.perSecond);
      b.push(base.perSecond);
      driverMax = Math.max(driverMax, base.driverShare, mfa.driverShare);
      options.log(
        `  mfa round ${round} login+verifySecondFactor ${fmt(mfa.perSecond)}/s  login ${fmt(base.perSecond)}/s  (driver ${(Math.max(base.driverShare, mfa.driverShare) * 100).toFixed(0)}%)`,
      );
    }
    return [
      {
        scenario: '`login` + `verifySecondFactor(totp)`, 4 concurrent',
        metric: 'sign-ins/s',
        gatehouse: median(a),
        baseline: median(b),
        baselineLabel: 'plain `login`, same driver',
        goal: { kind: 'min', ratio: 0.95 },
        samples: { gatehouse: a, baseline: b },
        driverCpuMax: driverMax,
      },
    ];
  } finally {
    await gatehouse.stop();
  }
}

// Two-step sign-in: `login` + `verifySecondFactor(totp)` per sign-in against plain `login`, both
// driven the same way (4 sign-ins in flight, fetch from this process, whose CPU share is
// reported), rounds alternating A B A B. A TOTP code is accepted once per account and 30-second
// step, so the two-step load cycles over a few hundred accounts with TOTP, each given the next
// step it has not used (within the server's one step of drift). Building the accounts (two argon2
// hashings each) takes about a minute.
import { Secret, TOTP } from 'otpauth';
import { ADMIN_EMAIL, ADMIN_PASSWORD, adminSession, graphql, startGatehouse } from '../lib/gatehouse.ts';
import { fmt, median, type ResultRow, type RunOptions } from '../lib/report.ts';

const CONCURRENCY = 4;
const PASSWORD = 'Bench-mfa-password-1234!';
const LOGIN = `mutation ($email: String!, $password: String!) {
  login(input: { email: $email, password: $password }) { __typename ... on SecondFactorRequired { challenge } }
}`;
const VERIFY = `mutation ($input: VerifySecondFactorInput!) { verifySecondFactor(input: $input) { __typename } }`;

interface MfaAccount {
  email: string;
  secret: string;
  /** The last 30-second step a code of this account was sent for. */
  lastStep: number;
}

const stepNow = () => Math.floor(Date.now() / 30_000);
const codeFor = (account: MfaAccount, step: number) =>
  TOTP.generate({ secret: Secret.fromBase32(account.secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp: step * 30_000 + 1000 });

async function createAccounts(url: string, admin: string, count: number): Promise<MfaAccount[]> {
  const accounts: MfaAccount[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const email = `bench-mfa-${next++}@example.com`;
        await graphql(url, `mutation ($email: String!, $password: String!) {
          createUser(input: { email: $email, password: $password, confirmed: true }) { __typename } }`, { email, password: PASSWORD }, admin);
        const session = (await graphql(url, LOGIN.replace('... on SecondFactorRequired { challenge }', '... on CreatedSession { token }'), { email, password: PASSWORD })).login.token as string;
        const secret = (await graphql(url, 'mutation { enrollTotp { ... on TotpEnrollment { secret } } }', {}, session)).enrollTotp.secret as string;
        const account = { email, secret, lastStep: stepNow() };
        const confirmed = await graphql(url, 'mutation ($code: String!) { confirmTotp(input: { code: $code }) { __typename } }', { code: codeFor(account, account.lastStep) }, session);
        if (confirmed.confirmTotp.__typename !== 'RecoveryCodes') throw new Error(`confirmTotp: ${JSON.stringify(confirmed)}`);
        accounts.push(account);
      }
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
    // step every 30 s, so about 30 s × the sign-in rate (≈ 50/s here); building them takes a minute.
    const accounts = await createAccounts(url, admin, options.quick ? 250 : 1500);
    let cursor = 0;
    const plain = async () => {
      const data = await graphql(url, LOGIN.replace('... on SecondFactorRequired { challenge }', '... on CreatedSession { token }'), { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
      if (data.login.__typename !== 'CreatedSession') throw new Error(`login: ${JSON.stringify(data)}`);
    };
    const twoStep = async () => {
      for (let tries = 0; tries < accounts.length; tries++) {
        const account = accounts[cursor++ % accounts.length]!;
        const step = Math.max(account.lastStep + 1, stepNow() - 1);
        if (step > stepNow() + 1) continue;
        account.lastStep = step;
        const started = (await graphql(url, LOGIN, { email: account.email, password: PASSWORD })).login;
        if (started.__typename !== 'SecondFactorRequired') throw new Error(`login: ${JSON.stringify(started)}`);
        const done = (await graphql(url, VERIFY, { input: { challenge: started.challenge, totp: codeFor(account, step) } })).verifySecondFactor;
        if (done.__typename !== 'CreatedSession') throw new Error(`verifySecondFactor: ${JSON.stringify(done)}`);
        return;
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

// Logins: throughput at 4 concurrent against raw argon2.verify with the same parameters (4 in
// flight, in its own process), and the `viewer` query's p99 at a steady rate while 8 clients
// hammer `login`, against the same query's p99 with no logins running.
import { join } from 'node:path';
import { ADMIN_EMAIL, ADMIN_PASSWORD, adminSession, startGatehouse } from '../lib/gatehouse.ts';
import { checkSample, cpuNote, runCheckedLoad, runLoad, type GraphQLLoad } from '../lib/load.ts';
import { ROOT, startProcess } from '../lib/processes.ts';
import { fmt, median, type ResultRow, type RunOptions } from '../lib/report.ts';

/** The steady `viewer` load whose tail latency is watched (well below saturation). */
const VIEWER_RATE = 200;
const VIEWER_CONNECTIONS = 10;

async function rawArgon2(concurrency: number, seconds: number): Promise<number> {
  const run = await startProcess({
    name: 'argon2-verify',
    args: [join(ROOT, 'bench', 'servers', 'argon2-verify.ts')],
    env: { CONCURRENCY: String(concurrency), DURATION_SECONDS: String(seconds) },
    waitForHealth: false,
  });
  const exit = await new Promise<number | null>((resolve) => run.child.once('exit', resolve));
  const line = run.output().trim().split('\n').at(-1) ?? '';
  if (exit !== 0) throw new Error(`argon2-verify failed (${exit}): ${run.output()}`);
  const { verifications, seconds: took } = JSON.parse(line) as { verifications: number; seconds: number };
  return verifications / took;
}

export async function loginScenarios(options: RunOptions): Promise<ResultRow[]> {
  const gatehouse = await startGatehouse({ env: await options.backend.serverEnv('login') });
  try {
    const session = await adminSession(gatehouse);
    const url = `${gatehouse.origin}/graphql`;
    const login: GraphQLLoad = {
      url,
      serverPid: gatehouse.child.pid!,
      query: 'mutation ($email: String!, $password: String!) { login(input: { email: $email, password: $password }) { __typename } }',
      variables: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
      expect: (body) => {
        if (body.data?.login?.__typename !== 'CreatedSession') throw new Error(`login failed: ${JSON.stringify(body)}`);
      },
    };
    const viewer: GraphQLLoad = {
      url,
      serverPid: gatehouse.child.pid!,
      query: '{ viewer { id email } }',
      token: session,
      expect: (body) => {
        if (!body.data?.viewer?.id) throw new Error(`no viewer: ${JSON.stringify(body)}`);
      },
    };
    await checkSample(login);
    await checkSample(viewer);
    await runCheckedLoad(login, { connections: 4, durationSeconds: options.warmupSeconds });
    await rawArgon2(4, options.warmupSeconds);

    const logins: number[] = [];
    const raw: number[] = [];
    const quiet: number[] = [];
    const loaded: number[] = [];
    let loginVoid = 0;
    let latencyVoid = 0;
    let loginDriverMax = 0;
    let latencyDriverMax = 0;
    const steady = { connections: VIEWER_CONNECTIONS, durationSeconds: options.durationSeconds, overallRate: VIEWER_RATE };
    for (let round = 1; round <= options.rounds; round++) {
      const gatehouseLogins = await runCheckedLoad(login, { connections: 4, durationSeconds: options.durationSeconds });
      const rawRate = await rawArgon2(4, options.durationSeconds);
      options.log(`  login round ${round} gatehouse ${fmt(gatehouseLogins.requestsPerSecond)} logins/s (${cpuNote(gatehouseLogins)})  raw argon2 ${fmt(rawRate)} verifies/s`);
      if (gatehouseLogins.driverSaturated) loginVoid++;
      else {
        logins.push(gatehouseLogins.requestsPerSecond);
        raw.push(rawRate);
        loginDriverMax = Math.max(loginDriverMax, gatehouseLogins.driverCpuShare);
      }

      const unloaded = await runCheckedLoad(viewer, steady);
      const [underLoad, hammer] = await Promise.all([
        runCheckedLoad(viewer, steady),
        runLoad(login, { connections: 8, durationSeconds: options.durationSeconds }),
      ]);
      options.log(
        `  login round ${round} viewer p99 ${unloaded.latencyP99Ms} ms unloaded (${cpuNote(unloaded)}), ${underLoad.latencyP99Ms} ms with 8 clients logging in (${fmt(hammer.requestsPerSecond)} logins/s; ${cpuNote(underLoad)})`,
      );
      // Two drivers run at once here (the steady viewer load and the login hammer): both count.
      if ([unloaded, underLoad, hammer].some((result) => result.driverSaturated)) latencyVoid++;
      else {
        quiet.push(unloaded.latencyP99Ms);
        loaded.push(underLoad.latencyP99Ms);
        latencyDriverMax = Math.max(latencyDriverMax, unloaded.driverCpuShare, underLoad.driverCpuShare, hammer.driverCpuShare);
      }
    }
    return [
      {
        scenario: '`login` throughput, 4 concurrent',
        metric: 'logins/s',
        gatehouse: median(logins),
        baseline: median(raw),
        baselineLabel: 'raw `argon2.verify`, 4 concurrent',
        goal: { kind: 'min', ratio: 0.85 },
        samples: { gatehouse: logins, baseline: raw },
        voidRounds: loginVoid,
        ...(logins.length ? { driverCpuMax: loginDriverMax } : {}),
      },
      {
        scenario: `\`viewer\` at ${VIEWER_RATE} req/s while 8 clients hammer \`login\``,
        metric: 'p99 ms',
        gatehouse: median(loaded),
        baseline: median(quiet),
        baselineLabel: '`viewer` p99 unloaded',
        goal: { kind: 'max', ratio: 2 },
        samples: { gatehouse: loaded, baseline: quiet },
        voidRounds: latencyVoid,
        ...(loaded.length ? { driverCpuMax: latencyDriverMax } : {}),
      },
    ];
  } finally {
    await gatehouse.stop();
  }
}

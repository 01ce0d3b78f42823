// Request throughput: an authenticated `viewer` query (session bearer token, then a personal access
// token) and an anonymous `maintenance` query through every plugin, against bare graphql-yoga
// answering `{ hello }`. On PostgreSQL the session `viewer` is measured against bare yoga whose
// resolver makes the same session lookup through `pg` (bench/servers/pg-viewer-yoga.ts), on the same
// database. A session of a user with an authenticator app is measured against one of a user
// without. All servers run at once; the rounds alternate A B C D, D C B A, A B C D …
import { join } from 'node:path';
import { adminAccessToken, adminSession, startGatehouse } from '../lib/gatehouse.ts';
import { checkSample, cpuNote, runCheckedLoad, type GraphQLLoad, type LoadResult } from '../lib/load.ts';
import { ROOT, startProcess, type BenchProcess } from '../lib/processes.ts';
import { fmt, median, type ResultRow, type RunOptions } from '../lib/report.ts';
import { createSignedInUser, createTotpAccount, signInWithTotp } from '../lib/totp.ts';

const CONNECTIONS = 50;

/** The session (or access token) `viewer` query against `server` (bench/scenarios/metrics.ts runs it too). */
export const viewerAt = (server: BenchProcess, token: string): GraphQLLoad => ({
  url: `${server.origin}/graphql`,
  serverPid: server.child.pid!,
  query: '{ viewer { id email } }',
  token,
  expect: (body) => {
    if (!body.data?.viewer?.id) throw new Error(`no viewer: ${JSON.stringify(body)}`);
  },
});

export async function requestScenarios(options: RunOptions): Promise<ResultRow[]> {
  const postgres = options.backend.name === 'postgres';
  const env = await options.backend.serverEnv('requests');
  const servers: BenchProcess[] = [];
  try {
    const yoga = await startProcess({ name: 'bare-yoga', args: [join(ROOT, 'bench', 'servers', 'bare-yoga.ts')] });
    servers.push(yoga);
    const gatehouse = await startGatehouse({ env });
    servers.push(gatehouse);
    const session = await adminSession(gatehouse);
    const accessToken = await adminAccessToken(gatehouse, session);
    const viewer = (token: string) => viewerAt(gatehouse, token);
    // Two users alike (no role) but for an authenticator app, each signed in with what it has.
    let userSessions: { plain: string; totp: string } | null = null;
    if (!options.viewerOnly) {
      const url = `${gatehouse.origin}/graphql`;
      const plain = await createSignedInUser(url, session, 'bench-plain-user@example.com', 'Bench-user-password-1234!');
      const totp = (await signInWithTotp(url, await createTotpAccount(url, session, 'bench-totp-user@example.com', 'Bench-user-password-1234!')))!;
      userSessions = { plain, totp };
    }
    let pgViewer: BenchProcess | null = null;
    if (postgres) {
      pgViewer = await startProcess({ name: 'pg-viewer-yoga', args: [join(ROOT, 'bench', 'servers', 'pg-viewer-yoga.ts')], env: { DATABASE_URL: env.DATABASE_URL! } });
      servers.push(pgViewer);
    }
    const targets: Record<string, GraphQLLoad> = {
      ...(pgViewer ? { 'pg-viewer': viewerAt(pgViewer, session) } : {}),
      yoga: {
        url: `${yoga.origin}/graphql`,
        serverPid: yoga.child.pid!,
        query: '{ hello }',
        expect: (body) => {
          if (body.data?.hello !== 'world') throw new Error(`bad hello: ${JSON.stringify(body)}`);
        },
      },
      session: viewer(session),
      ...(userSessions ? { 'user': viewer(userSessions.plain), 'totp-user': viewer(userSessions.totp) } : {}),
      ...(options.viewerOnly ? {} : { token: viewer(accessToken), maintenance: {
        url: `${gatehouse.origin}/graphql`,
        serverPid: gatehouse.child.pid!,
        query: '{ maintenance { enabled } }',
        expect: (body) => {
          if (body.data?.maintenance?.enabled !== false) throw new Error(`bad maintenance: ${JSON.stringify(body)}`);
        },
      } }),
    };
    const sessionBaseline = postgres ? 'pg-viewer' : 'yoga';
    const samples: Record<string, number[]> = {};
    for (const [name, load] of Object.entries(targets)) {
      await checkSample(load);
      await runCheckedLoad(load, { connections: CONNECTIONS, durationSeconds: options.warmupSeconds });
      samples[name] = [];
    }
    // A round counts only when no run of it had its load driver saturate a core: its runs are
    // compared with each other, so one doubtful run voids the whole round.
    let voidRounds = 0;
    let driverCpuMax = 0;
    for (let round = 1; round <= options.rounds; round++) {
      const results: Record<string, LoadResult> = {};
      // Even rounds run the servers in the reverse order: on this kind of host a run's place in the
      // round moves its numbers (an A/A pair of identical servers read up to 2× apart by position),
      // so each side takes each place equally often.
      const order = Object.entries(targets);
      for (const [name, load] of round % 2 === 0 ? order.reverse() : order) {
        const result = await runCheckedLoad(load, { connections: CONNECTIONS, durationSeconds: options.durationSeconds });
        results[name] = result;
        options.log(
          `  requests round ${round} ${name.padEnd(11)} ${fmt(result.requestsPerSecond)} req/s  p50 ${result.latencyP50Ms} ms  p99 ${result.latencyP99Ms} ms  ${cpuNote(result)}`,
        );
      }
      const runs = Object.values(results);
      if (runs.some((result) => result.driverSaturated)) {
        voidRounds++;
        options.log(`  requests round ${round} VOID: the load driver saturated a core in one of its runs`);
        continue;
      }
      for (const [name, result] of Object.entries(results)) samples[name]!.push(result.requestsPerSecond);
      driverCpuMax = Math.max(driverCpuMax, ...runs.map((result) => result.driverCpuShare));
      const ratio = (a: string, b: string) => (results[a] && results[b] ? `  ${a}/${b} ${(results[a].requestsPerSecond / results[b].requestsPerSecond).toFixed(2)}×` : '');
      options.log(`  requests round ${round} ratios:${ratio('session', sessionBaseline)}${ratio('token', 'session')}${ratio('totp-user', 'user')}${ratio('maintenance', 'yoga')}`);
    }
    const med = (name: string) => median(samples[name] ?? []);
    const pair = (a: string, b: string) => {
      const gatehouse = samples[a] ?? [];
      return { samples: { gatehouse, baseline: samples[b] ?? [] }, voidRounds, ...(gatehouse.length ? { driverCpuMax } : {}) };
    };
    const rows: ResultRow[] = [
      {
        scenario: '`{ viewer { id email } }`, session bearer token',
        metric: 'req/s',
        gatehouse: med('session'),
        baseline: med(sessionBaseline),
        baselineLabel: postgres ? 'bare yoga + the same lookup via `pg`' : 'bare yoga `{ hello }`',
        goal: { kind: 'min', ratio: postgres ? 0.8 : 0.75 },
        ...pair('session', sessionBaseline),
      },
      {
        scenario: 'same, personal access token',
        metric: 'req/s',
        gatehouse: med('token'),
        baseline: med('session'),
        baselineLabel: 'the session-token run',
        goal: { kind: 'min', ratio: 0.97 },
        ...pair('token', 'session'),
      },
      {
        scenario: 'same, session of an account with an authenticator app',
        metric: 'req/s',
        gatehouse: med('totp-user'),
        baseline: med('user'),
        baselineLabel: 'session of the same kind of account without',
        goal: { kind: 'min', ratio: 0.98 },
        ...pair('totp-user', 'user'),
      },
      {
        scenario: 'anonymous `{ maintenance { enabled } }`',
        metric: 'req/s',
        gatehouse: med('maintenance'),
        baseline: med('yoga'),
        baselineLabel: 'bare yoga `{ hello }`',
        goal: { kind: 'min', ratio: 0.9 },
        ...pair('maintenance', 'yoga'),
      },
    ];
    return options.viewerOnly ? rows.slice(0, 1) : rows;
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

// Request throughput: an authenticated `viewer` query (session bearer token, then a personal access
// token) and an anonymous `maintenance` query through every plugin, against bare graphql-yoga
// answering `{ hello }`. Both servers run at once; the rounds alternate A B C D A B C D …
import { join } from 'node:path';
import { adminAccessToken, adminSession, startGatehouse } from '../lib/gatehouse.ts';
import { checkSample, runCheckedLoad, type GraphQLLoad } from '../lib/load.ts';
import { ROOT, startProcess } from '../lib/processes.ts';
import { fmt, median, type ResultRow, type RunOptions } from '../lib/report.ts';

const CONNECTIONS = 50;

export async function requestScenarios(options: RunOptions): Promise<ResultRow[]> {
  const yoga = await startProcess({ name: 'bare-yoga', args: [join(ROOT, 'bench', 'servers', 'bare-yoga.ts')] });
  const gatehouse = await startGatehouse();
  try {
    const session = await adminSession(gatehouse);
    const accessToken = await adminAccessToken(gatehouse, session);
    const viewer = (token: string): GraphQLLoad => ({
      url: `${gatehouse.origin}/graphql`,
      query: '{ viewer { id email } }',
      token,
      expect: (body) => {
        if (!body.data?.viewer?.id) throw new Error(`no viewer: ${JSON.stringify(body)}`);
      },
    });
    const targets: Record<string, GraphQLLoad> = {
      yoga: {
        url: `${yoga.origin}/graphql`,
        query: '{ hello }',
        expect: (body) => {
          if (body.data?.hello !== 'world') throw new Error(`bad hello: ${JSON.stringify(body)}`);
        },
      },
      session: viewer(session),
      token: viewer(accessToken),
      maintenance: {
        url: `${gatehouse.origin}/graphql`,
        query: '{ maintenance { enabled } }',
        expect: (body) => {
          if (body.data?.maintenance?.enabled !== false) throw new Error(`bad maintenance: ${JSON.stringify(body)}`);
        },
      },
    };
    const samples: Record<string, number[]> = {};
    for (const [name, load] of Object.entries(targets)) {
      await checkSample(load);
      await runCheckedLoad(load, { connections: CONNECTIONS, durationSeconds: options.warmupSeconds });
      samples[name] = [];
    }
    for (let round = 1; round <= options.rounds; round++) {
      for (const [name, load] of Object.entries(targets)) {
        const result = await runCheckedLoad(load, { connections: CONNECTIONS, durationSeconds: options.durationSeconds });
        samples[name]!.push(result.requestsPerSecond);
        options.log(`  requests round ${round} ${name.padEnd(11)} ${fmt(result.requestsPerSecond)} req/s  p50 ${result.latencyP50Ms} ms  p99 ${result.latencyP99Ms} ms`);
      }
    }
    const med = (name: string) => median(samples[name]!);
    const pair = (a: string, b: string) => ({ gatehouse: samples[a]!, baseline: samples[b]! });
    return [
      {
        scenario: '`{ viewer { id email } }`, session bearer token',
        metric: 'req/s',
        gatehouse: med('session'),
        baseline: med('yoga'),
        baselineLabel: 'bare yoga `{ hello }`',
        goal: { kind: 'min', ratio: 0.75 },
        samples: pair('session', 'yoga'),
      },
      {
        scenario: 'same, personal access token',
        metric: 'req/s',
        gatehouse: med('token'),
        baseline: med('session'),
        baselineLabel: 'the session-token run',
        goal: { kind: 'min', ratio: 0.97 },
        samples: pair('token', 'session'),
      },
      {
        scenario: 'anonymous `{ maintenance { enabled } }`',
        metric: 'req/s',
        gatehouse: med('maintenance'),
        baseline: med('yoga'),
        baselineLabel: 'bare yoga `{ hello }`',
        goal: { kind: 'min', ratio: 0.9 },
        samples: pair('maintenance', 'yoga'),
      },
    ];
  } finally {
    await Promise.all([yoga.stop(), gatehouse.stop()]);
  }
}

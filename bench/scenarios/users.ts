// Keyset pagination deep in a large user table: `users(first: 50, after: <cursor ~90% in>)` against
// the first page, on a database of 1,000,000 users (built once, kept in bench/.cache/).
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/orm.ts';
import { entities } from '../../src/entities.ts';
import { userCursor } from '../../src/admin/user-list.ts';
import { adminSession, startGatehouse } from '../lib/gatehouse.ts';
import { checkSample, cpuNote, runCheckedLoad, type GraphQLLoad } from '../lib/load.ts';
import { ROOT, tempDir } from '../lib/processes.ts';
import { fmt, median, type ResultRow, type RunOptions } from '../lib/report.ts';

export const USERS = 1_000_000;
const DEEP = 900_000;
const BASE_TIME = Date.UTC(2020, 0, 1);
const CACHE = join(ROOT, 'bench', '.cache', `users-${USERS}.db`);

const userId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** Builds the database once: Gatehouse's migrations, then the users in one INSERT … SELECT. Shared with the console scenario. */
export async function usersDatabase(log: (line: string) => void): Promise<string> {
  if (existsSync(CACHE)) return CACHE;
  mkdirSync(join(CACHE, '..'), { recursive: true });
  const building = `${CACHE}.building`;
  rmSync(building, { force: true });
  log(`  building ${USERS.toLocaleString('en')} users into ${CACHE} (once) …`);
  const started = performance.now();
  const orm = await openDatabase(building, entities);
  try {
    await orm.em.getConnection().execute(`
      with recursive n(i) as (select 1 union all select i + 1 from n where i < ${USERS})
      insert into users (id, email, email_key, password_hash, email_confirmed_at, disabled, created_at, updated_at)
      select printf('00000000-0000-4000-8000-%012d', i), printf('user%d@example.com', i), printf('user%d@example.com', i),
             null, ${BASE_TIME} + i * 1000, 0, ${BASE_TIME} + i * 1000, ${BASE_TIME} + i * 1000
      from n`);
    await orm.em.getConnection().execute('pragma wal_checkpoint(truncate)');
  } finally {
    await orm.close();
  }
  renameSync(building, CACHE);
  log(`  built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return CACHE;
}

export async function usersScenario(options: RunOptions): Promise<ResultRow[]> {
  const source = await usersDatabase(options.log);
  const databasePath = join(tempDir('users'), 'users.db');
  copyFileSync(source, databasePath);
  const gatehouse = await startGatehouse({ databasePath });
  try {
    const token = await adminSession(gatehouse);
    const page = (after: string | null): GraphQLLoad => ({
      url: `${gatehouse.origin}/graphql`,
      serverPid: gatehouse.child.pid!,
      query: 'query ($after: String) { users(first: 50, after: $after) { edges { node { id email } } pageInfo { hasNextPage } } }',
      variables: { after },
      token,
      expect: (body) => {
        const edges = body.data?.users?.edges;
        if (edges?.length !== 50) throw new Error(`expected 50 users: ${JSON.stringify(body).slice(0, 300)}`);
        if (after && edges[0].node.id !== userId(DEEP + 1)) throw new Error(`deep page starts at ${edges[0].node.id}`);
      },
    });
    const first = page(null);
    const deep = page(userCursor({ createdAt: new Date(BASE_TIME + DEEP * 1000), id: userId(DEEP) }));
    await checkSample(first);
    await checkSample(deep);
    const load = { connections: 1, durationSeconds: options.durationSeconds };
    await runCheckedLoad(first, { ...load, durationSeconds: options.warmupSeconds });
    await runCheckedLoad(deep, { ...load, durationSeconds: options.warmupSeconds });
    const firstMs: number[] = [];
    const deepMs: number[] = [];
    let voidRounds = 0;
    let driverCpuMax = 0;
    for (let round = 1; round <= options.rounds; round++) {
      const deepRun = await runCheckedLoad(deep, load);
      const firstRun = await runCheckedLoad(first, load);
      options.log(
        `  users round ${round} deep page ${fmt(deepRun.latencyMeanMs)} ms (${cpuNote(deepRun)}), first page ${fmt(firstRun.latencyMeanMs)} ms (${cpuNote(firstRun)}) (mean, 1 connection)`,
      );
      if (deepRun.driverSaturated || firstRun.driverSaturated) {
        voidRounds++;
        continue;
      }
      deepMs.push(deepRun.latencyMeanMs);
      firstMs.push(firstRun.latencyMeanMs);
      driverCpuMax = Math.max(driverCpuMax, deepRun.driverCpuShare, firstRun.driverCpuShare);
    }
    return [
      {
        scenario: `\`users(first: 50, after: <cursor at ${DEEP.toLocaleString('en')} of ${USERS.toLocaleString('en')}>)\``,
        metric: 'mean ms',
        gatehouse: median(deepMs),
        baseline: median(firstMs),
        baselineLabel: '`users(first: 50)`',
        goal: { kind: 'max', ratio: 1.5 },
        samples: { gatehouse: deepMs, baseline: firstMs },
        voidRounds,
        ...(deepMs.length ? { driverCpuMax } : {}),
      },
    ];
  } finally {
    await gatehouse.stop();
  }
}

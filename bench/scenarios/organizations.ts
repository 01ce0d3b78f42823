// Organizations: (1) the viewer with their active organization and role there,
// `viewer { activeOrganization { name viewerRole { name } } }`, against today's `viewer { id email }`
// on the same server and session, rounds alternating; (2) `organization(id) { members(first: 50,
// after: <cursor ~90% in>) }` against the first page, in an organization of 100,000 members (built
// once, kept in bench/.cache/), like the users scenario does for users.
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/orm.ts';
import { entities } from '../../src/entities.ts';
import { memberCursor } from '../../src/organizations/lists.ts';
import { adminSession, graphql, startGatehouse } from '../lib/gatehouse.ts';
import { checkSample, cpuNote, runCheckedLoad, type GraphQLLoad, type LoadResult } from '../lib/load.ts';
import { ROOT, tempDir } from '../lib/processes.ts';
import { fmt, median, type ResultRow, type RunOptions } from '../lib/report.ts';

const CONNECTIONS = 50;
export const MEMBERS = 100_000;
const DEEP = 90_000;
const BASE_TIME = Date.UTC(2021, 0, 1);
const ORG_ID = '20000000-0000-4000-8000-000000000001';
const CACHE = join(ROOT, 'bench', '.cache', `organization-members-${MEMBERS}.db`);
const memberId = (n: number) => `10000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

async function membersDatabase(log: (line: string) => void): Promise<string> {
  if (existsSync(CACHE)) return CACHE;
  mkdirSync(join(CACHE, '..'), { recursive: true });
  const building = `${CACHE}.building`;
  rmSync(building, { force: true });
  log(`  building an organization of ${MEMBERS.toLocaleString('en')} members into ${CACHE} (once) …`);
  const orm = await openDatabase(building, entities);
  try {
    const sql = (text: string) => orm.em.getConnection().execute(text);
    await sql(`insert into organizations (id, name, slug, join_domain, created_at, updated_at) values ('${ORG_ID}', 'Big', 'big', null, ${BASE_TIME}, ${BASE_TIME})`);
    await sql(`
      with recursive n(i) as (select 1 union all select i + 1 from n where i < ${MEMBERS})
      insert into users (id, email, email_key, password_hash, email_confirmed_at, disabled, created_at, updated_at)
      select printf('30000000-0000-4000-8000-%012d', i), printf('member%d@example.com', i), printf('member%d@example.com', i),
             null, ${BASE_TIME}, 0, ${BASE_TIME}, ${BASE_TIME}
      from n`);
    await sql(`
      with recursive n(i) as (select 1 union all select i + 1 from n where i < ${MEMBERS})
      insert into organization_members (id, organization_id, user_id, role, created_at)
      select printf('10000000-0000-4000-8000-%012d', i), '${ORG_ID}', printf('30000000-0000-4000-8000-%012d', i),
             case when i = 1 then 'owner' else 'member' end, ${BASE_TIME} + i * 1000
      from n`);
    await sql('pragma wal_checkpoint(truncate)');
  } finally {
    await orm.close();
  }
  renameSync(building, CACHE);
  return CACHE;
}

/** Rounds of A and B, the order swapped every round (the run after the other should not always be one side); medians. */
async function alternate(options: RunOptions, label: string, a: GraphQLLoad, b: GraphQLLoad, connections: number, metric: (r: LoadResult) => number) {
  for (const load of [a, b]) {
    await checkSample(load);
    await runCheckedLoad(load, { connections, durationSeconds: options.warmupSeconds });
  }
  const samples = { a: [] as number[], b: [] as number[] };
  let voidRounds = 0;
  let driverCpuMax = 0;
  for (let round = 1; round <= options.rounds; round++) {
    const run = (load: GraphQLLoad) => runCheckedLoad(load, { connections, durationSeconds: options.durationSeconds });
    let ra: LoadResult;
    let rb: LoadResult;
    if (round % 2 === 1) {
      ra = await run(a);
      rb = await run(b);
    } else {
      rb = await run(b);
      ra = await run(a);
    }
    options.log(`  ${label} round ${round}: ${fmt(metric(ra))} vs ${fmt(metric(rb))} (${cpuNote(ra)}; ${cpuNote(rb)})`);
    if (ra.driverSaturated || rb.driverSaturated) {
      voidRounds++;
      continue;
    }
    samples.a.push(metric(ra));
    samples.b.push(metric(rb));
    driverCpuMax = Math.max(driverCpuMax, ra.driverCpuShare, rb.driverCpuShare);
  }
  return { samples, voidRounds, driverCpuMax };
}

export async function organizationsScenario(options: RunOptions): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  // (1) the viewer with the active organization.
  {
    const gatehouse = await startGatehouse({ databasePath: join(tempDir('organizations-viewer'), 'viewer.db') });
    try {
      const token = await adminSession(gatehouse);
      const url = `${gatehouse.origin}/graphql`;
      const created = await graphql(url, 'mutation { createOrganization(input: { name: "Bench Org", slug: "bench-org" }) { ... on Organization { id } } }', {}, token);
      await graphql(url, 'mutation($id: ID) { setActiveOrganization(input: { organizationId: $id }) { __typename } }', { id: created.createOrganization.id }, token);
      const load = (query: string, check: (body: any) => boolean): GraphQLLoad => ({
        url,
        serverPid: gatehouse.child.pid!,
        query,
        token,
        expect: (body) => {
          if (!check(body)) throw new Error(`unexpected answer: ${JSON.stringify(body).slice(0, 300)}`);
        },
      });
      const withOrganization = load('{ viewer { activeOrganization { name viewerRole { name } } } }', (b) => b.data?.viewer?.activeOrganization?.viewerRole?.name === 'owner');
      const plain = load('{ viewer { id email } }', (b) => !!b.data?.viewer?.id);
      const { samples, voidRounds, driverCpuMax } = await alternate(options, 'organizations viewer', withOrganization, plain, CONNECTIONS, (r) => r.requestsPerSecond);
      rows.push({
        scenario: '`{ viewer { activeOrganization { name viewerRole { name } } } }`, session bearer token',
        metric: 'req/s',
        gatehouse: median(samples.a),
        baseline: median(samples.b),
        baselineLabel: '`{ viewer { id email } }`, same server and session',
        goal: { kind: 'min', ratio: 0.95 },
        samples: { gatehouse: samples.a, baseline: samples.b },
        voidRounds,
        ...(samples.a.length ? { driverCpuMax } : {}),
      });
    } finally {
      await gatehouse.stop();
    }
  }
  // (2) members deep in a large organization.
  {
    const source = await membersDatabase(options.log);
    const databasePath = join(tempDir('organizations-members'), 'members.db');
    copyFileSync(source, databasePath);
    const gatehouse = await startGatehouse({ databasePath });
    try {
      // The bench admin reads any organization with organizations:read (admins hold every permission).
      const token = await adminSession(gatehouse);
      const page = (after: string | null): GraphQLLoad => ({
        url: `${gatehouse.origin}/graphql`,
        serverPid: gatehouse.child.pid!,
        query: 'query ($id: ID!, $after: String) { organization(id: $id) { members(first: 50, after: $after) { edges { node { id email roleName } } pageInfo { hasNextPage } } } }',
        variables: { id: ORG_ID, after },
        token,
        expect: (body) => {
          const edges = body.data?.organization?.members?.edges;
          if (edges?.length !== 50) throw new Error(`expected 50 members: ${JSON.stringify(body).slice(0, 300)}`);
          if (after && edges[0].node.id !== memberId(DEEP + 1)) throw new Error(`deep page starts at ${edges[0].node.id}`);
        },
      });
      const deep = page(memberCursor({ createdAt: new Date(BASE_TIME + DEEP * 1000), id: memberId(DEEP) }));
      const first = page(null);
      const { samples, voidRounds, driverCpuMax } = await alternate(options, 'organizations members', deep, first, 1, (r) => r.latencyMeanMs);
      rows.push({
        scenario: `\`organization(id) { members(first: 50, after: <cursor at ${DEEP.toLocaleString('en')} of ${MEMBERS.toLocaleString('en')}>) }\``,
        metric: 'mean ms',
        gatehouse: median(samples.a),
        baseline: median(samples.b),
        baselineLabel: '`members(first: 50)`',
        goal: { kind: 'max', ratio: 1.5 },
        samples: { gatehouse: samples.a, baseline: samples.b },
        voidRounds,
        ...(samples.a.length ? { driverCpuMax } : {}),
      });
    } finally {
      await gatehouse.stop();
    }
  }
  return rows;
}

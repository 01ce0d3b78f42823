// The `users` connection over a few thousand accounts: every page forward and backward with no
// duplicates or gaps in a stable (createdAt, id) order, filters, search and totalCount checked
// against an independent oracle, invalid cursors, and keyset (not OFFSET) queries on the index.
import { TEST_DIALECT } from '../helpers/backends.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createConfirmedUser, errorCodes, startTestServer, type TestServer } from '../helpers/server.ts';
import { User } from '../../src/accounts/entities.ts';
import { Role } from '../../src/access/entities.ts';
import { dataOf, grantRole } from './users-helpers.ts';

const SEEDED = 3000;
const DAY = 24 * 3600_000;

interface Row {
  id: string;
  createdAt: number;
  emailKey: string;
  displayName?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  disabled: boolean;
  confirmed: boolean;
  roles: Set<string>;
}

interface Filter {
  search?: string;
  role?: string;
  status?: 'ACTIVE' | 'DISABLED' | 'UNCONFIRMED';
}

const PAGE = `query($first: Int, $after: String, $last: Int, $before: String, $search: String, $role: String, $status: UserStatus) {
  users(first: $first, after: $after, last: $last, before: $before, search: $search, role: $role, status: $status) {
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}`;

/** The list as the specification says it must be: ordered by (createdAt, id), filtered in plain JS. */
function oracle(rows: Row[], filter: Filter = {}): string[] {
  const needle = filter.search?.toLowerCase();
  return rows
    .filter((r) => !filter.role || r.roles.has(filter.role))
    .filter((r) => {
      if (!filter.status) return true;
      const status = r.disabled ? 'DISABLED' : r.confirmed ? 'ACTIVE' : 'UNCONFIRMED';
      return status === filter.status;
    })
    .filter((r) => !needle || [r.emailKey, r.displayName, r.firstName, r.lastName].some((v) => v?.toLowerCase().includes(needle)))
    .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((r) => r.id);
}

describe('users connection: keyset pagination over thousands of users', () => {
  let server: TestServer;
  let token: string;
  let rows: Row[];

  async function page(variables: Record<string, unknown>) {
    return dataOf(await server.gql(PAGE, variables, { token })).users;
  }

  /** Walks every page forward with `first`/`after`; checks pageInfo along the way. */
  async function walkForward(filter: Filter, size: number): Promise<{ ids: string[]; totalCount: number }> {
    const ids: string[] = [];
    let after: string | null = null;
    let totalCount = -1;
    for (let i = 0; ; i++) {
      const p = await page({ ...filter, first: size, after });
      assert.equal(p.pageInfo.hasPreviousPage, i > 0 && ids.length > 0, `page ${i} hasPreviousPage`);
      assert.ok(p.edges.length <= size);
      if (p.edges.length) {
        assert.equal(p.pageInfo.startCursor, p.edges[0].cursor);
        assert.equal(p.pageInfo.endCursor, p.edges.at(-1).cursor);
      }
      ids.push(...p.edges.map((e: any) => e.node.id));
      totalCount = p.totalCount;
      if (!p.pageInfo.hasNextPage) break;
      assert.equal(p.edges.length, size, 'a page before the last is full');
      after = p.pageInfo.endCursor;
    }
    return { ids, totalCount };
  }

  /** Walks every page backward with `last`/`before`, from the end to the start. */
  async function walkBackward(filter: Filter, size: number): Promise<string[]> {
    const pages: string[][] = [];
    let before: string | null = null;
    for (let i = 0; ; i++) {
      const p = await page({ ...filter, last: size, before });
      assert.equal(p.pageInfo.hasNextPage, i > 0, `page ${i} from the end: hasNextPage`);
      pages.unshift(p.edges.map((e: any) => e.node.id));
      if (!p.pageInfo.hasPreviousPage) break;
      assert.equal(p.edges.length, size, 'a page after the first is full');
      before = p.pageInfo.startCursor;
    }
    return pages.flat();
  }

  before(async () => {
    server = await startTestServer();
    const admin = await createConfirmedUser(server, 'pager.admin@example.com');
    await grantRole(server, admin.userId, 'admin');
    token = admin.token;

    const em = server.gatehouse.services.orm.em.fork();
    const now = server.clock.now();
    em.create(Role, { name: 'auditor', description: null, builtIn: false, createdAt: now, updatedAt: now });
    await em.flush();
    const roleIds = new Map((await em.find(Role, {})).map((r) => [r.name, r.id]));

    // Hashing thousands of passwords would take minutes: rows go straight in, without one.
    const base = now.getTime() - 30 * DAY;
    const seeded = Array.from({ length: SEEDED }, (_, i) => {
      const local = i % 500 === 17 ? `per%cent${i}` : i % 500 === 42 ? `under_score${i}` : `seed${i}`;
      // Three accounts share each timestamp, so the id must break ties.
      const createdAt = new Date(base + Math.floor(i / 3) * 1000);
      return {
        id: randomUUID(),
        email: `${local}@example.com`,
        emailKey: `${local}@example.com`.toLowerCase(),
        passwordHash: null,
        emailConfirmedAt: i % 4 === 1 ? null : createdAt,
        displayName: i % 5 === 0 ? `Ada Lovelace ${i}` : null,
        firstName: i % 11 === 3 ? 'Grace' : null,
        lastName: i % 13 === 4 ? 'HOPPER' : null,
        phone: null,
        bio: null,
        avatarUrl: null,
        disabled: i % 10 === 9,
        createdAt,
        updatedAt: createdAt,
      };
    });
    for (let i = 0; i < seeded.length; i += 250) await em.insertMany(User, seeded.slice(i, i + 250));
    const links = seeded.flatMap((u, i) => [[u.id, roleIds.get('user')!], ...(i % 7 === 0 ? [[u.id, roleIds.get('auditor')!]] : [])]);
    const connection = em.getConnection();
    for (let i = 0; i < links.length; i += 400) {
      const chunk = links.slice(i, i + 400);
      await connection.execute(`insert into user_roles (user_id, role_id) values ${chunk.map(() => '(?, ?)').join(', ')}`, chunk.flat());
    }

    // The oracle reads back every account (the admin's too) and its roles.
    const all = await em.fork().find(User, {}, { populate: ['roles'] });
    rows = all.map((u) => ({
      id: u.id,
      createdAt: u.createdAt.getTime(),
      emailKey: u.emailKey,
      displayName: u.displayName,
      firstName: u.firstName,
      lastName: u.lastName,
      disabled: u.disabled,
      confirmed: u.emailConfirmedAt !== null,
      roles: new Set(u.roles.getItems().map((r) => r.name)),
    }));
    assert.equal(rows.length, SEEDED + 1);
  });
  after(() => server.close());

  test('walking forward visits every user once, in (createdAt, id) order; totalCount is the total', async () => {
    const { ids, totalCount } = await walkForward({}, 100);
    assert.equal(new Set(ids).size, ids.length, 'no duplicates');
    assert.deepEqual(ids, oracle(rows));
    assert.equal(totalCount, SEEDED + 1);
  });

  test('walking backward gives the same list; an odd page size too', async () => {
    assert.deepEqual(await walkBackward({}, 100), oracle(rows));
    const { ids } = await walkForward({}, 97);
    assert.deepEqual(ids, oracle(rows));
  });

  test('the same page twice is identical (stable order and cursors)', async () => {
    const first = await page({ first: 50 });
    const middle = await page({ first: 50, after: first.pageInfo.endCursor });
    assert.deepEqual(await page({ first: 50, after: first.pageInfo.endCursor }), middle);
    // Every edge cursor resumes right after its own node.
    const expected = oracle(rows);
    for (const [i, edge] of middle.edges.entries()) {
      if (i % 10 !== 0) continue;
      const next = await page({ first: 2, after: edge.cursor });
      assert.deepEqual(next.edges.map((e: any) => e.node.id), expected.slice(50 + i + 1, 50 + i + 3));
      const prev = await page({ last: 2, before: edge.cursor });
      assert.deepEqual(prev.edges.map((e: any) => e.node.id), expected.slice(50 + i - 2, 50 + i));
    }
  });

  const filters: Filter[] = [
    { status: 'ACTIVE' },
    { status: 'DISABLED' },
    { status: 'UNCONFIRMED' },
    { role: 'auditor' },
    { role: 'admin' },
    { role: 'no-such-role' },
    { search: 'lovelace' },
    { search: 'HOPPER' },
    { search: 'grace' },
    { search: '%' },
    { search: '_' },
    { search: 'per%c' },
    { search: 'seed12' },
    { role: 'auditor', status: 'DISABLED', search: 'ada' },
  ];
  for (const filter of filters) {
    test(`filter ${JSON.stringify(filter)}: every match once, in order, with the right totalCount`, async () => {
      const want = oracle(rows, filter);
      const { ids, totalCount } = await walkForward(filter, 100);
      assert.deepEqual(ids, want);
      assert.equal(totalCount, want.length);
      if (want.length > 100) assert.deepEqual(await walkBackward(filter, 100), want);
    });
  }

  test('LIKE wildcards in `search` are literal characters', () => {
    // Guards the oracle itself: '%' and '_' must not match everything.
    assert.equal(oracle(rows, { search: '%' }).length, SEEDED / 500);
    assert.equal(oracle(rows, { search: '_' }).length, SEEDED / 500);
  });

  test('statuses partition the users', async () => {
    const counts = await Promise.all(
      (['ACTIVE', 'DISABLED', 'UNCONFIRMED'] as const).map(async (status) => (await page({ status, first: 0 })).totalCount),
    );
    assert.equal(counts.reduce((a, b) => a + b, 0), SEEDED + 1);
  });

  test('first and last are capped at 100; a zero-size page still says whether more follow', async () => {
    assert.equal((await page({ first: 1000 })).edges.length, 100);
    assert.equal((await page({ last: 1000 })).edges.length, 100);
    const empty = await page({ first: 0 });
    assert.deepEqual(empty.edges, []);
    assert.equal(empty.pageInfo.hasNextPage, true);
    // The default page size.
    assert.equal((await page({})).edges.length, 20);
  });

  test('after and before together bound a window', async () => {
    const expected = oracle(rows);
    const a = await page({ first: 1, after: null });
    const tenth = await page({ first: 1, after: (await page({ first: 10 })).pageInfo.endCursor });
    const window = await page({ first: 100, after: a.pageInfo.endCursor, before: tenth.pageInfo.startCursor });
    assert.deepEqual(window.edges.map((e: any) => e.node.id), expected.slice(1, 10));
    assert.equal(window.pageInfo.hasNextPage, false);
    assert.equal(window.pageInfo.hasPreviousPage, true);
  });

  test('a cursor keeps its place after its user is deleted', async () => {
    const expected = oracle(rows);
    const p = await page({ first: 5 });
    const doomed = p.edges[2];
    const em = server.gatehouse.services.orm.em.fork();
    await em.nativeDelete(User, { id: doomed.node.id });
    rows = rows.filter((r) => r.id !== doomed.node.id);
    const next = await page({ first: 2, after: doomed.cursor });
    assert.deepEqual(next.edges.map((e: any) => e.node.id), expected.slice(3, 5));
    assert.equal(next.pageInfo.hasPreviousPage, true);
  });

  test('invalid cursors and sizes answer BAD_USER_INPUT', async () => {
    const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
    const bad = ['garbage!', '', 'x'.repeat(500), b64('user:abc:def'), b64('audit:5'), b64(`user:${Date.now()}`), b64(`user:1:${'a'.repeat(65)}`)];
    for (const cursor of bad) {
      for (const args of [{ first: 5, after: cursor }, { last: 5, before: cursor }]) {
        const res = await server.gql(PAGE, args, { token });
        assert.deepEqual(errorCodes(res), ['BAD_USER_INPUT'], `${JSON.stringify(args)}: ${JSON.stringify(res.body)}`);
      }
    }
    for (const args of [{ first: -1 }, { last: -5 }, { first: 5, last: 5 }, { search: 'x'.repeat(201) }]) {
      const res = await server.gql(PAGE, args, { token });
      assert.deepEqual(errorCodes(res), ['BAD_USER_INPUT'], `${JSON.stringify(args)}: ${JSON.stringify(res.body)}`);
    }
  });

  test('a deep page is an index range scan from the cursor, never OFFSET', async () => {
    const forward = oracle(rows);
    const deep = await page({ first: 1, after: (await page({ last: 50 })).pageInfo.startCursor });
    assert.equal(deep.edges[0].node.id, forward.at(-49));

    const connection = server.gatehouse.services.orm.em.getConnection() as unknown as {
      execute: (sql: string, params?: unknown[], ...rest: unknown[]) => Promise<unknown>;
    };
    const captured: Array<{ sql: string; params: unknown[] }> = [];
    const original = connection.execute;
    connection.execute = function (sql, params, ...rest) {
      if (typeof sql === 'string' && /from [`"]users[`"]/.test(sql)) captured.push({ sql, params: params ?? [] });
      return original.call(this, sql, params, ...rest);
    };
    try {
      await page({ first: 10, after: deep.edges[0].cursor });
      await page({ last: 10, before: deep.edges[0].cursor });
    } finally {
      connection.execute = original;
    }
    const listQueries = captured.filter((q) => /order by/i.test(q.sql) && !/count\(/i.test(q.sql));
    assert.ok(listQueries.length >= 2, JSON.stringify(captured));
    for (const query of listQueries) {
      assert.doesNotMatch(query.sql, /\boffset\b/i);
      if (TEST_DIALECT === 'postgresql') {
        // A few thousand rows: the planner would rather read the whole table. Told not to, it must be able
        // to walk the index from the cursor in order (no Sort), the plan it takes on a large table.
        const plan = await server.gatehouse.services.orm.em.fork().transactional(async (tx) => {
          const [pgConnection, context] = [tx.getConnection(), tx.getTransactionContext()];
          await pgConnection.execute('set local enable_seqscan = off', [], 'run', context);
          return pgConnection.execute<Array<{ 'QUERY PLAN': string }>>(`explain ${query.sql}`, query.params, 'all', context);
        });
        const details = plan.map((step) => step['QUERY PLAN']).join(' | ');
        assert.match(details, /Index (Only )?Scan( Backward)? using users_created_at_id_index/, `${query.sql}\n${details}`);
        assert.match(details, /Index Cond: \(.*created_at/, details);
        assert.doesNotMatch(details, /\bSort\b/, details);
        continue;
      }
      const plan = (await original.call(connection, `explain query plan ${query.sql}`, query.params)) as Array<{ detail: string }>;
      const details = plan.map((step) => step.detail).join(' | ');
      assert.match(details, /SEARCH u0 USING (COVERING )?INDEX users_created_at_id_index \(created_at[<>]\?\)/, `${query.sql}\n${details}`);
      assert.doesNotMatch(details, /TEMP B-TREE/, details);
    }
  });
});

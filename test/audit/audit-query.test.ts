// Reading the audit log: who may (audit:read), filters, keyset pagination walked to the end, the
// page-size cap, bad cursors, and retention pruning driven by the test clock.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConfirmedUser, errorCodes, startTestServer, type TestServer, answeredNothing } from '../helpers/server.ts';
import { User } from '../../src/accounts/entities.ts';
import { createRoleInDb, grantRoles } from '../access/access-helpers.ts';
import { AuditEvent } from '../../src/audit/entities.ts';
import { pruneAuditEvents } from '../../src/audit/retention.ts';
import { ManualClock } from '../../src/util/clock.ts';

const DAY = 86_400_000;

const PAGE = `query($first: Int, $after: String, $filter: AuditEventFilter) {
  auditEvents(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id at action actorId targetId details } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

/** Appends events straight to the table, stamped with the test clock. */
async function insertEvents(server: TestServer, count: number, fields: Partial<AuditEvent> = {}): Promise<void> {
  const em = server.gatehouse.services.orm.em.fork();
  for (let i = 0; i < count; i++) {
    await em.insert(AuditEvent, {
      at: server.clock.now(),
      actorType: 'system',
      action: 'test.event',
      details: { i },
      ...fields,
    } as never);
  }
}

interface Node {
  id: string;
  at: string;
  action: string;
  actorId: string | null;
  targetId: string | null;
  details: string | null;
}

describe('auditEvents', () => {
  let server: TestServer;
  let adminToken: string;
  let adminId: string;
  let userToken: string;
  let userId: string;

  const page = async (variables: Record<string, unknown>, token = adminToken) => server.gql(PAGE, variables, { token });

  /** Walks every page with `first`, checking the page info on the way; returns the nodes in order. */
  async function walk(first: number, filter?: Record<string, unknown>): Promise<Node[]> {
    const nodes: Node[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 1000; pages++) {
      const res = await page({ first, after, filter });
      assert.equal(res.body.errors, undefined, JSON.stringify(res.body.errors));
      const { edges, pageInfo } = res.body.data.auditEvents;
      assert.ok(edges.length <= first);
      assert.equal(pageInfo.startCursor, edges[0]?.cursor ?? null);
      assert.equal(pageInfo.endCursor, edges.at(-1)?.cursor ?? null);
      nodes.push(...edges.map((e: { node: Node }) => e.node));
      if (!pageInfo.hasNextPage) return nodes;
      assert.equal(edges.length, first, 'a page before the last is full');
      after = pageInfo.endCursor;
    }
    assert.fail('pagination did not end');
  }

  before(async () => {
    server = await startTestServer();
    ({ token: adminToken, userId: adminId } = await createConfirmedUser(server, 'admin@example.com'));
    await grantRoles(server, adminId, 'admin');
    ({ token: userToken, userId } = await createConfirmedUser(server, 'plain@example.com'));
  });
  after(() => server.close());

  test('anonymous: UNAUTHENTICATED; a plain user: FORBIDDEN; an admin: the events', async () => {
    const anonymous = await server.gql(PAGE, {});
    assert.deepEqual(errorCodes(anonymous), ['UNAUTHENTICATED']);
    assert.ok(answeredNothing(anonymous));
    const plain = await page({}, userToken);
    assert.deepEqual(errorCodes(plain), ['FORBIDDEN']);
    const admin = await page({});
    assert.equal(admin.body.errors, undefined);
    assert.ok(admin.body.data.auditEvents.edges.length > 0);
  });

  test('the audit:read permission is enough, through any role', async () => {
    await createRoleInDb(server, 'auditor', ['audit:read']);
    const { token, userId: auditorId } = await createConfirmedUser(server, 'reader@example.com');
    assert.deepEqual(errorCodes(await page({}, token)), ['FORBIDDEN']);
    await grantRoles(server, auditorId, 'auditor');
    const res = await page({}, token);
    assert.equal(res.body.errors, undefined, JSON.stringify(res.body.errors));
  });

  test('the access rule is checked before the arguments: a bad cursor still answers FORBIDDEN to a plain user', async () => {
    assert.deepEqual(errorCodes(await page({ after: 'garbage' }, userToken)), ['FORBIDDEN']);
    assert.deepEqual(errorCodes(await server.gql(PAGE, { after: 'garbage' })), ['UNAUTHENTICATED']);
  });

  test('newest first; walking every page returns every event exactly once', async () => {
    await insertEvents(server, 23, { action: 'test.walk' });
    const all = await walk(5);
    const ids = all.map((n) => Number(n.id));
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'not newest first');
    assert.equal(new Set(ids).size, ids.length, 'an event appears twice');
    const stored = await server.gatehouse.services.orm.em.fork().count(AuditEvent, {});
    assert.equal(all.length, stored);
    const filtered = await walk(4, { action: 'test.walk' });
    assert.equal(filtered.length, 23);
    assert.deepEqual(filtered.map((n) => JSON.parse(n.details!).i), Array.from({ length: 23 }, (_, i) => 22 - i));
    // hasPreviousPage stays false: forward pagination only.
    const second = await page({ first: 4, after: (await page({ first: 4 })).body.data.auditEvents.pageInfo.endCursor });
    assert.equal(second.body.data.auditEvents.pageInfo.hasPreviousPage, false);
  });

  test('first defaults to 20 and is capped at 100; first: 0 answers an empty page', async () => {
    await insertEvents(server, 120, { action: 'test.many' });
    const byDefault = await page({ filter: { action: 'test.many' } });
    assert.equal(byDefault.body.data.auditEvents.edges.length, 20);
    const capped = await page({ first: 500, filter: { action: 'test.many' } });
    assert.equal(capped.body.data.auditEvents.edges.length, 100);
    assert.equal(capped.body.data.auditEvents.pageInfo.hasNextPage, true);
    const rest = await page({ first: 100, after: capped.body.data.auditEvents.pageInfo.endCursor, filter: { action: 'test.many' } });
    assert.equal(rest.body.data.auditEvents.edges.length, 20);
    assert.equal(rest.body.data.auditEvents.pageInfo.hasNextPage, false);
    const none = await page({ first: 0, filter: { action: 'test.many' } });
    assert.deepEqual(none.body.data.auditEvents.edges, []);
    assert.equal(none.body.data.auditEvents.pageInfo.hasNextPage, true);
  });

  test('an invalid cursor or a negative first is BAD_USER_INPUT', async () => {
    const valid = (await page({ first: 1 })).body.data.auditEvents.pageInfo.endCursor as string;
    const forged = [
      'garbage',
      '',
      Buffer.from('audit:abc').toString('base64url'),
      Buffer.from('audit:-1').toString('base64url'),
      Buffer.from('user:5').toString('base64url'),
      Buffer.from('audit:99999999999999999999').toString('base64url'),
      valid + '!',
      'x'.repeat(5000),
    ];
    for (const after of forged) {
      const res = await page({ after });
      assert.deepEqual(errorCodes(res), ['BAD_USER_INPUT'], `${after.slice(0, 40)}: ${JSON.stringify(res.body)}`);
    }
    assert.deepEqual(errorCodes(await page({ first: -1 })), ['BAD_USER_INPUT']);
  });

  test('filters: actorId, targetId, action, since (inclusive) and until (exclusive), combined', async () => {
    // Everything logged so far (sign-ins, earlier tests) is before t0.
    server.clock.advance(1000);
    const t0 = server.clock.now();
    await insertEvents(server, 2, { action: 'test.filter', actorId: adminId, targetId: userId });
    server.clock.advance(DAY);
    const t1 = server.clock.now();
    await insertEvents(server, 3, { action: 'test.filter', actorId: userId, targetId: adminId });
    server.clock.advance(DAY);
    const t2 = server.clock.now();
    await insertEvents(server, 1, { action: 'test.other', actorId: adminId, targetId: adminId });

    const count = async (filter: Record<string, unknown>) => (await walk(100, filter)).length;
    assert.equal(await count({ action: 'test.filter' }), 5);
    assert.equal(await count({ action: 'test.filter', actorId: adminId }), 2);
    assert.equal(await count({ action: 'test.filter', targetId: adminId }), 3);
    assert.equal(await count({ actorId: adminId, targetId: adminId, action: 'test.other' }), 1);
    assert.equal(await count({ actorId: adminId, targetId: adminId, since: t0.toISOString() }), 1);
    assert.equal(await count({ action: 'test.filter', since: t1.toISOString() }), 3);
    assert.equal(await count({ action: 'test.filter', until: t1.toISOString() }), 2);
    assert.equal(await count({ since: t0.toISOString(), until: t2.toISOString(), targetId: adminId }), 3);
    assert.equal(await count({ since: t2.toISOString(), action: 'test.other' }), 1);
    assert.equal(await count({ action: 'no.such.action' }), 0);
    for (const node of await walk(100, { actorId: userId, action: 'test.filter' })) {
      assert.equal(node.actorId, userId);
      assert.ok(Date.parse(node.at) >= t1.getTime());
    }
  });
});

describe('audit retention', () => {
  test('pruning deletes events older than AUDIT_RETENTION_DAYS by the server clock, and keeps the rest', async () => {
    const server = await startTestServer({ AUDIT_RETENTION_DAYS: '30' });
    try {
      const { clock } = server;
      await insertEvents(server, 3, { action: 'test.old' });
      clock.advance(20 * DAY);
      await insertEvents(server, 2, { action: 'test.recent' });
      const em = () => server.gatehouse.services.orm.em.fork();
      const countOf = (action: string) => em().count(AuditEvent, { action });

      clock.advance(9 * DAY);
      assert.equal(await pruneAuditEvents(em(), server.gatehouse.services), 0, 'nothing is 30 days old yet');
      clock.advance(2 * DAY);
      assert.equal(await em().count(AuditEvent, {}), 5);
      assert.equal(await pruneAuditEvents(em(), server.gatehouse.services), 3);
      assert.equal(await countOf('test.old'), 0);
      assert.equal(await countOf('test.recent'), 2);
      clock.advance(30 * DAY);
      await pruneAuditEvents(em(), server.gatehouse.services);
      assert.equal(await em().count(AuditEvent, {}), 0);
    } finally {
      await server.close();
    }
  });

  test('the server prunes at start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-retention-'));
    const databasePath = join(dir, 'gatehouse.db');
    try {
      const first = await startTestServer({ DATABASE_URL: databasePath });
      await insertEvents(first, 4, { action: 'test.ancient' });
      await first.close();

      // Restarted 400 days later with the default retention (365 days).
      const later = new ManualClock(new Date(Date.now() + 400 * DAY));
      const second = await startTestServer({ DATABASE_URL: databasePath }, { clock: later });
      try {
        assert.equal(await second.gatehouse.services.orm.em.fork().count(AuditEvent, { action: 'test.ancient' }), 0);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Who may call the admin user operations, over the real server: anonymous, a plain user acting on
// someone else or on themselves, a holder of `users:read` only, and an admin. Exact error codes,
// and a refused write changes nothing. Scopes are checked before any id is looked up.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createConfirmedUser, errorCodes, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { User } from '../../src/accounts/entities.ts';
import { AuditEvent } from '../../src/audit/entities.ts';
import { createRoleWith, dataOf, grantRole, OPS, sessionCount, storedUser } from './users-helpers.ts';

type Persona = 'anonymous' | 'user on other' | 'user on self' | 'reader' | 'admin';
type Expected = 'ok' | 'UNAUTHENTICATED' | 'FORBIDDEN';

interface Operation {
  name: string;
  write: boolean;
  query: string;
  variables(targetId: string): Record<string, unknown>;
}

const NEW_PASSWORD = 'a different but equally long passphrase';

const OPERATIONS: Operation[] = [
  { name: 'users', write: false, query: OPS.users, variables: () => ({ first: 5 }) },
  { name: 'user', write: false, query: OPS.user, variables: (id) => ({ id }) },
  { name: 'user.sessions', write: false, query: OPS.userSessions, variables: (id) => ({ id }) },
  {
    name: 'createUser',
    write: true,
    query: OPS.createUser,
    variables: () => ({ input: { email: `matrix.${randomUUID().slice(0, 8)}@example.com`, password: STRONG_PASSWORD } }),
  },
  { name: 'updateUser', write: true, query: OPS.updateUser, variables: (id) => ({ input: { id, displayName: 'Changed', disabled: true } }) },
  { name: 'setUserPassword', write: true, query: OPS.setUserPassword, variables: (id) => ({ id, password: NEW_PASSWORD }) },
  { name: 'revokeUserSessions', write: true, query: OPS.revokeUserSessions, variables: (id) => ({ id }) },
  { name: 'deleteUser', write: true, query: OPS.deleteUser, variables: (id) => ({ id }) },
];

function expected(persona: Persona, op: Operation): Expected {
  if (persona === 'anonymous') return 'UNAUTHENTICATED';
  if (persona === 'admin') return 'ok';
  if (persona === 'reader') return op.write ? 'FORBIDDEN' : 'ok';
  // The `users` list and mutations are admin operations even on one's own account.
  return 'FORBIDDEN';
}

describe('admin user operations: authorization matrix', () => {
  let server: TestServer;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};

  before(async () => {
    server = await startTestServer();
    for (const name of ['admin', 'alice', 'bob', 'reader']) {
      const { token, userId } = await createConfirmedUser(server, `matrix.${name}@example.com`);
      tokens[name] = token;
      ids[name] = userId;
    }
    await grantRole(server, ids.admin!, 'admin');
    await createRoleWith(server, 'user-reader', ['users:read']);
    await grantRole(server, ids.reader!, 'user-reader');
  });
  after(() => server.close());

  /** What a refused write must leave untouched: the target's row, its sessions, the user and audit counts. */
  async function snapshot(targetId: string) {
    const em = server.gatehouse.services.orm.em.fork();
    const user = await storedUser(server, targetId);
    return {
      user: user && {
        email: user.email,
        displayName: user.displayName,
        disabled: user.disabled,
        passwordHash: user.passwordHash,
        updatedAt: user.updatedAt.toISOString(),
        roles: user.roles.getItems().map((r) => r.name).sort(),
      },
      sessions: await sessionCount(server, targetId),
      users: await em.count(User, {}),
      audit: await em.count(AuditEvent, { action: { $like: 'user.%' } }),
    };
  }

  const refusals: Array<[Persona, string, () => { token?: string; targetId: string }]> = [
    ['anonymous', 'bob', () => ({ targetId: ids.bob! })],
    ['user on other', 'bob', () => ({ token: tokens.alice, targetId: ids.bob! })],
    ['user on self', 'alice', () => ({ token: tokens.alice, targetId: ids.alice! })],
    ['reader', 'bob', () => ({ token: tokens.reader, targetId: ids.bob! })],
  ];

  for (const [persona, targetName, who] of refusals) {
    for (const op of OPERATIONS) {
      const want = expected(persona, op);
      test(`${persona}: ${op.name} → ${want}`, async () => {
        const { token, targetId } = who();
        const before = await snapshot(targetId);
        const variables = op.variables(targetId);
        const res = await server.gql(op.query, variables, { token });
        if (want === 'ok') {
          dataOf(res);
        } else {
          assert.deepEqual(errorCodes(res), [want], JSON.stringify(res.body));
          assert.equal(res.body.data?.[Object.keys(res.body.data ?? {})[0] ?? ''] ?? null, null);
        }
        assert.deepEqual(await snapshot(targetId), before, `${op.name} as ${persona} on ${targetName} changed something`);
        if (op.name === 'createUser' && want !== 'ok') {
          const email = (variables.input as { email: string }).email;
          assert.equal(await server.gatehouse.services.orm.em.fork().count(User, { email }), 0);
        }
      });
    }
  }

  test('reader sees users and their sessions, but not through a plain user', async () => {
    const asReader = dataOf(await server.gql(OPS.userSessions, { id: ids.bob }, { token: tokens.reader }));
    assert.equal(asReader.user.id, ids.bob);
    assert.equal(asReader.user.sessions.length, await sessionCount(server, ids.bob!));
    assert.ok(asReader.user.sessions.length >= 1);
  });

  test('a stranger learns nothing from an id: unknown and existing ids both answer FORBIDDEN', async () => {
    for (const op of OPERATIONS.filter((o) => o.name !== 'users' && o.name !== 'createUser')) {
      for (const id of [ids.bob!, randomUUID(), 'not-an-id']) {
        const res = await server.gql(op.query, op.variables(id), { token: tokens.alice });
        assert.deepEqual(errorCodes(res), ['FORBIDDEN'], `${op.name} ${id}: ${JSON.stringify(res.body)}`);
      }
    }
  });

  test('admin: unknown ids answer NOT_FOUND on mutations and null on user(id)', async () => {
    for (const id of [randomUUID(), 'not-an-id']) {
      assert.deepEqual(dataOf(await server.gql(OPS.user, { id }, { token: tokens.admin })), { user: null });
      for (const op of OPERATIONS.filter((o) => o.write && o.name !== 'createUser')) {
        const res = await server.gql(op.query, op.variables(id), { token: tokens.admin });
        assert.deepEqual(errorCodes(res), ['NOT_FOUND'], `${op.name}: ${JSON.stringify(res.body)}`);
      }
    }
  });

  test('admin: every operation succeeds (each write on its own disposable account)', async () => {
    for (const op of OPERATIONS) {
      const target = op.write ? (await createConfirmedUser(server, `matrix.target.${op.name.toLowerCase()}@example.com`)).userId : ids.bob!;
      const res = await server.gql(op.query, op.variables(target), { token: tokens.admin });
      const data = dataOf(res);
      const result = Object.values(data)[0] as { __typename?: string } | number;
      if (typeof result === 'object' && result?.__typename) {
        assert.ok(['User', 'DeletedUser'].includes(result.__typename), `${op.name}: ${JSON.stringify(data)}`);
      }
    }
  });

  test('the admin sees another user’s sessions; a plain user cannot reach them', async () => {
    const asAdmin = dataOf(await server.gql(OPS.userSessions, { id: ids.alice }, { token: tokens.admin }));
    assert.equal(asAdmin.user.sessions.length, await sessionCount(server, ids.alice!));
    const asBob = await server.gql(OPS.userSessions, { id: ids.alice }, { token: tokens.bob });
    assert.deepEqual(errorCodes(asBob), ['FORBIDDEN']);
  });
});

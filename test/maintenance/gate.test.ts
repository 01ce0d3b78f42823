// Maintenance mode over HTTP: who may switch it, input validation, the audit trail, and the gate —
// everyone but admins is refused with MAINTENANCE_MODE except for the allow-listed operations,
// checked before any resolver runs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, errorCodes, login, startTestServer, type TestServer } from '../helpers/server.ts';
import { auditEvents, createRoleInDb, grantRoles } from '../access/access-helpers.ts';
import { BLOCKED_QUERY, createAdmin, MAINTENANCE, SET_MAINTENANCE, setMaintenance } from './maintenance-helpers.ts';

describe('maintenance mode over HTTP', () => {
  let server: TestServer;
  let admin: string;
  let user: string;
  let operator: string;

  const inFuture = (ms: number) => new Date(server.clock.now().getTime() + ms).toISOString();

  before(async () => {
    server = await startTestServer();
    ({ token: admin } = await createAdmin(server, 'gate.admin@example.com'));
    ({ token: user } = await createConfirmedUser(server, 'gate.user@example.com'));
    // Not an admin, but holds maintenance:write through a role of its own.
    const op = await createConfirmedUser(server, 'gate.operator@example.com');
    await createRoleInDb(server, 'maintainer', ['maintenance:write']);
    await grantRoles(server, op.userId, 'maintainer');
    operator = op.token;
  });
  after(() => server.close());

  test('a fresh server is not in maintenance, and nobody changed it yet', async () => {
    const res = await server.gql(MAINTENANCE);
    assert.deepEqual(res.body, { data: { maintenance: { enabled: false, message: null, endsAt: null, updatedAt: null, updatedBy: null } } });
  });

  test('only maintenance:write may switch it: anonymous is UNAUTHENTICATED, a plain user FORBIDDEN', async () => {
    const anonymous = await server.gql(SET_MAINTENANCE, { enabled: true });
    assert.deepEqual(errorCodes(anonymous), ['UNAUTHENTICATED']);
    const plain = await server.gql(SET_MAINTENANCE, { enabled: true }, { token: user });
    assert.deepEqual(errorCodes(plain), ['FORBIDDEN']);
    assert.equal((await server.gql(MAINTENANCE)).body.data.maintenance.enabled, false);
    assert.equal((await auditEvents(server, 'maintenance.on')).length, 0);
  });

  test('invalid input answers a ValidationError naming the field, and changes nothing', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ enabled: true, message: 'x'.repeat(501) }, 'message'],
      [{ enabled: true, endsAt: new Date(server.clock.now().getTime() - 60_000).toISOString() }, 'endsAt'],
      [{ enabled: true, endsAt: server.clock.now().toISOString() }, 'endsAt'],
    ];
    for (const [variables, field] of cases) {
      const res = await server.gql(SET_MAINTENANCE, variables, { token: admin });
      const result = res.body.data?.setMaintenanceMode;
      assert.equal(result?.__typename, 'ValidationError', JSON.stringify(res.body));
      assert.equal(result.code, 'VALIDATION_FAILED');
      assert.deepEqual(result.fields.map((f: any) => f.field), [field]);
    }
    const notADate = await server.gql(SET_MAINTENANCE, { enabled: true, endsAt: 'soon' }, { token: admin });
    assert.deepEqual(errorCodes(notADate), ['BAD_USER_INPUT']);
    assert.equal((await server.gql(MAINTENANCE)).body.data.maintenance.enabled, false);
  });

  test('an admin turns it on (message and end time kept, audited); everyone can read it, only writers see who', async () => {
    const endsAt = inFuture(3_600_000);
    const message = 'x'.repeat(499) + '!';
    const state = await setMaintenance(server, admin, { enabled: true, message: `  ${message}  `, endsAt });
    assert.equal(state.enabled, true);
    assert.equal(state.message, message);
    assert.equal(state.endsAt, endsAt);
    assert.equal(state.updatedBy, 'gate.admin@example.com');
    assert.equal(state.updatedAt, server.clock.now().toISOString());

    const { __typename, ...stored } = state;
    const anonymous = (await server.gql(MAINTENANCE)).body.data.maintenance;
    assert.deepEqual(anonymous, { ...stored, updatedBy: null });
    const plain = await server.gql(MAINTENANCE, {}, { token: user });
    assert.equal(plain.body.errors, undefined);
    assert.deepEqual(plain.body.data.maintenance, { ...stored, updatedBy: null });
    assert.deepEqual((await server.gql(MAINTENANCE, {}, { token: operator })).body.data.maintenance, stored);

    const [event] = await auditEvents(server, 'maintenance.on');
    assert.equal(event?.actorEmail, 'gate.admin@example.com');
    assert.equal(event?.targetId, 'maintenance');
    assert.deepEqual(event?.details, { message, endsAt });
  });

  test('while on, anonymous and plain users are refused with MAINTENANCE_MODE, its message and end time', async () => {
    const { maintenance } = (await server.gql(MAINTENANCE)).body.data;
    for (const token of [undefined, user]) {
      const res = await server.gql(BLOCKED_QUERY, {}, token ? { token } : {});
      assert.equal(res.body.data, undefined, JSON.stringify(res.body));
      assert.deepEqual(errorCodes(res), ['MAINTENANCE_MODE']);
      const error = res.body.errors![0]!;
      assert.equal(error.message, maintenance.message);
      assert.equal(error.extensions!.message, maintenance.message);
      assert.equal(error.extensions!.endsAt, maintenance.endsAt);
      assert.equal(res.status, 503);
    }
    const viaGet = await fetch(`${server.url}?query=${encodeURIComponent(BLOCKED_QUERY)}`, { headers: { accept: 'application/json' } });
    assert.equal(viaGet.status, 503);
    assert.equal((await viaGet.json()).errors[0].extensions.code, 'MAINTENANCE_MODE');
  });

  test('the refusal comes before any resolver: a blocked mutation changes nothing', async () => {
    const second = await login(server, 'gate.user@example.com');
    const res = await server.gql(`mutation { revokeOtherSessions { ... on RevokedSessions { count } } }`, {}, { token: second.token });
    assert.deepEqual(errorCodes(res), ['MAINTENANCE_MODE']);
    // Its other session still works (viewer is allowed during maintenance).
    const viewer = await server.gql(`{ viewer { email } }`, {}, { token: user });
    assert.deepEqual(viewer.body, { data: { viewer: { email: 'gate.user@example.com' } } });
  });

  test('each allow-listed operation works for anyone', async () => {
    assert.deepEqual((await server.gql(`{ viewer { email } }`)).body, { data: { viewer: null } });
    assert.deepEqual((await server.gql(`{ viewer { email } }`, {}, { token: user })).body, {
      data: { viewer: { email: 'gate.user@example.com' } },
    });
    assert.deepEqual((await server.gql(`{ setupStatus { needsSetup } }`)).body, { data: { setupStatus: { needsSetup: false } } });
    assert.equal((await server.gql(MAINTENANCE)).body.data.maintenance.enabled, true);
    const { token } = await login(server, 'gate.user@example.com');
    const out = await server.gql(`mutation { logout { ... on RevokedSessions { count } } }`, {}, { token });
    assert.deepEqual(out.body, { data: { logout: { count: 1 } } });
    // The session ended: its token is refused (login stays possible, see above).
    assert.deepEqual(errorCodes(await server.gql(`{ viewer { email } }`, {}, { token })), ['UNAUTHENTICATED']);
    // Several allowed fields, introspection, fragments and named operations are still allowed.
    const combined = await server.gql(`query Status { __typename maintenance { enabled } ...Rest }
      fragment Rest on Query { setupStatus { needsSetup } ... on Query { viewer { id } } }`);
    assert.deepEqual(combined.body, { data: { __typename: 'Query', maintenance: { enabled: true }, setupStatus: { needsSetup: false }, viewer: null } });
    const introspection = await server.gql(`{ __schema { queryType { name } } __type(name: "MaintenanceState") { name } }`);
    assert.equal(introspection.body.errors, undefined, JSON.stringify(introspection.body));
  });

  test('an operation mixing an allowed and a blocked root field is refused, however the blocked one is written', async () => {
    const documents = [
      `{ maintenance { enabled } validationRules }`,
      `{ maintenance { enabled } ...F } fragment F on Query { validationRules }`,
      `{ maintenance { enabled } ... on Query { validationRules } }`,
      `{ maintenance { enabled } validationRules @skip(if: true) }`,
      `query A { maintenance { enabled } } query B { validationRules }`,
    ];
    for (const query of documents) {
      const res = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ query, operationName: query.includes('query B') ? 'B' : undefined }),
      });
      const body = await res.json();
      assert.deepEqual(body.errors?.map((e: any) => e.extensions?.code), ['MAINTENANCE_MODE'], `${query}: ${JSON.stringify(body)}`);
      assert.equal(body.data, undefined);
    }
    // The same document's allowed operation, selected by name, runs.
    const allowed = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: `query A { maintenance { enabled } } query B { validationRules }`, operationName: 'A' }),
    });
    assert.deepEqual(await allowed.json(), { data: { maintenance: { enabled: true } } });
    const mutation = await server.gql(`mutation { logout { __typename } register(input: { email: "m@example.com", password: "x" }) { __typename } }`);
    assert.deepEqual(errorCodes(mutation), ['MAINTENANCE_MODE']);
  });

  test('admins, and holders of maintenance:write, keep full access', async () => {
    for (const token of [admin, operator]) {
      const res = await server.gql(`{ validationRules viewer { email } }`, {}, { token });
      assert.equal(res.body.errors, undefined, JSON.stringify(res.body));
      assert.ok(res.body.data.validationRules.length > 0);
    }
    const roles = await server.gql(`{ roles { name } }`, {}, { token: admin });
    assert.ok(roles.body.data.roles.some((r: any) => r.name === 'maintainer'));
  });

  test('turning it off serves everyone again, clears message and end time, and is audited', async () => {
    const state = await setMaintenance(server, operator, { enabled: false, message: 'ignored' });
    assert.deepEqual({ ...state, updatedAt: undefined }, {
      __typename: 'MaintenanceState',
      enabled: false,
      message: null,
      endsAt: null,
      updatedAt: undefined,
      updatedBy: 'gate.operator@example.com',
    });
    const res = await server.gql(BLOCKED_QUERY, {}, { token: user });
    assert.equal(res.body.errors, undefined);
    assert.equal((await server.gql(BLOCKED_QUERY)).status, 200);
    const [event] = await auditEvents(server, 'maintenance.off');
    assert.equal(event?.actorEmail, 'gate.operator@example.com');
  });

  test('without a message, the refusal still explains itself', async () => {
    await setMaintenance(server, admin, { enabled: true });
    const res = await server.gql(BLOCKED_QUERY);
    assert.deepEqual(errorCodes(res), ['MAINTENANCE_MODE']);
    assert.match(res.body.errors![0]!.message, /maintenance/i);
    assert.equal(res.body.errors![0]!.extensions!.message, null);
    assert.equal(res.body.errors![0]!.extensions!.endsAt, null);
    await setMaintenance(server, admin, { enabled: false });
  });
});

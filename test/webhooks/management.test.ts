// Managing endpoints over GraphQL: who may, what is refused (and changes nothing), what is audited,
// and that a signing secret is shown once and kept only sealed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, errorCodes, REGISTER, STRONG_PASSWORD, startTestServer, type TestServer } from '../helpers/server.ts';
import { auditEvents } from '../admin/users-helpers.ts';
import { WebhookEndpoint } from '../../src/webhooks/entities.ts';
import { addEndpoint, OPS, signedInAdmin, startReceiver, waitForDeliveries, WEBHOOK_ENV, type Receiver } from './webhook-helpers.ts';

describe('webhook endpoint management', () => {
  let server: TestServer;
  let admin: { token: string; userId: string };
  let user: { token: string; userId: string };
  let receiver: Receiver;

  before(async () => {
    server = await startTestServer(WEBHOOK_ENV);
    admin = await signedInAdmin(server);
    user = await createConfirmedUser(server, 'someone@example.com');
    receiver = await startReceiver();
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  const endpointCount = () => server.gatehouse.services.orm.em.fork().count(WebhookEndpoint, {});

  test('creating returns the secret once; it is stored sealed and never readable again', async () => {
    const { id, secret } = await addEndpoint(server, admin.token, receiver, ['user.created', 'user.deleted'], { description: 'CRM sync' });
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    const stored = await server.gatehouse.services.orm.em.fork().findOneOrFail(WebhookEndpoint, { id });
    assert.ok(!stored.secret.includes(secret.slice(6)), 'only a sealed copy is kept');
    assert.equal(server.gatehouse.services.secrets.open(stored.secret), secret);
    const listed = await server.gql(OPS.list, {}, { token: admin.token });
    const endpoint = listed.body.data.webhookEndpoints.find((e: { id: string }) => e.id === id);
    assert.deepEqual(endpoint.eventTypes, ['user.created', 'user.deleted']);
    assert.equal(endpoint.description, 'CRM sync');
    assert.ok(!JSON.stringify(listed.body).includes(secret));
    const audit = await auditEvents(server, 'webhook.create', id);
    assert.equal(audit.length, 1);
    assert.ok(!JSON.stringify(audit[0]!.details).includes(secret), 'the audit log holds no secret');
    // The SDL offers no field that could read a secret back.
    const introspection = await server.gql(`{ __type(name: "WebhookEndpoint") { fields { name } } }`, {}, { token: admin.token });
    assert.ok(!introspection.body.data.__type.fields.some((f: { name: string }) => /secret$/i.test(f.name)));
  });

  test('the event types are listed', async () => {
    const res = await server.gql(OPS.eventTypes, {}, { token: admin.token });
    const names = res.body.data.webhookEventTypes.map((t: { name: string }) => t.name);
    for (const name of ['user.created', 'user.email_confirmed', 'user.disabled', 'user.deleted', 'user.password_changed']) assert.ok(names.includes(name), name);
  });

  const invalid: Array<[string, Record<string, unknown>, string]> = [
    ['no URL at all', { url: 'not a url', eventTypes: ['*'] }, 'url'],
    ['http:// to another machine', { url: 'http://example.com/hook', eventTypes: ['*'] }, 'url'],
    ['a non-http scheme', { url: 'ftp://example.com/hook', eventTypes: ['*'] }, 'url'],
    ['credentials in the URL', { url: 'https://user:pw@example.com/hook', eventTypes: ['*'] }, 'url'],
    ['an over-long URL', { url: `https://example.com/${'a'.repeat(2100)}`, eventTypes: ['*'] }, 'url'],
    ['an unknown event type', { url: 'https://example.com/hook', eventTypes: ['user.created', 'user.exploded'] }, 'eventTypes'],
    ['no event types', { url: 'https://example.com/hook', eventTypes: [] }, 'eventTypes'],
    ['an over-long description', { url: 'https://example.com/hook', eventTypes: ['*'], description: 'x'.repeat(201) }, 'description'],
  ];
  for (const [what, input, field] of invalid) {
    test(`create refuses ${what} (ValidationError on ${field}) and adds nothing`, async () => {
      const before = await endpointCount();
      const res = await server.gql(OPS.create, { input }, { token: admin.token });
      const result = res.body.data?.createWebhookEndpoint;
      assert.equal(result?.__typename, 'ValidationError', JSON.stringify(res.body));
      assert.deepEqual(result.fields.map((f: { field: string }) => f.field), [field]);
      assert.equal(await endpointCount(), before);
    });
  }

  test('update refuses bad input, null for what cannot be cleared, and unknown ids; changes nothing', async () => {
    const { id } = await addEndpoint(server, admin.token, receiver, ['*']);
    for (const [input, field] of [[{ url: 'http://10.0.0.1/x' }, 'url'], [{ eventTypes: ['nope'] }, 'eventTypes'], [{ url: null }, 'url'], [{ enabled: null }, 'enabled']] as const) {
      const res = await server.gql(OPS.update, { input: { id, ...input } }, { token: admin.token });
      assert.equal(res.body.data?.updateWebhookEndpoint.__typename, 'ValidationError', JSON.stringify(res.body));
      assert.equal(res.body.data.updateWebhookEndpoint.fields[0].field, field);
    }
    const stored = await server.gatehouse.services.orm.em.fork().findOneOrFail(WebhookEndpoint, { id });
    assert.equal(stored.url, receiver.url);
    assert.deepEqual(stored.eventTypes, ['*']);
    assert.equal((await auditEvents(server, 'webhook.update', id)).length, 0);
    const unknown = await server.gql(OPS.update, { input: { id: '00000000-0000-0000-0000-000000000000', enabled: false } }, { token: admin.token });
    assert.deepEqual(errorCodes(unknown), ['NOT_FOUND']);

    const ok = await server.gql(OPS.update, { input: { id, eventTypes: ['user.deleted', 'user.created', 'user.created'], description: 'new' } }, { token: admin.token });
    assert.deepEqual(ok.body.data.updateWebhookEndpoint.eventTypes, ['user.created', 'user.deleted']);
    const audit = await auditEvents(server, 'webhook.update', id);
    assert.deepEqual(audit[0]!.details!.changed, ['eventTypes', 'description']);
  });

  test('rotate refuses an overlap out of range and unknown ids', async () => {
    const { id, secret } = await addEndpoint(server, admin.token, receiver, ['*']);
    for (const overlapHours of [-1, 169]) {
      const res = await server.gql(OPS.rotate, { id, overlapHours }, { token: admin.token });
      assert.equal(res.body.data?.rotateWebhookSecret.__typename, 'ValidationError');
      assert.equal(res.body.data.rotateWebhookSecret.fields[0].field, 'overlapHours');
    }
    const stored = await server.gatehouse.services.orm.em.fork().findOneOrFail(WebhookEndpoint, { id });
    assert.equal(server.gatehouse.services.secrets.open(stored.secret), secret, 'the secret did not change');
    assert.deepEqual(errorCodes(await server.gql(OPS.rotate, { id: 'missing' }, { token: admin.token })), ['NOT_FOUND']);
    // Without overlap the old secret stops at once.
    const now = await server.gql(OPS.rotate, { id, overlapHours: 0 }, { token: admin.token });
    assert.equal(now.body.data.rotateWebhookSecret.endpoint.previousSecretUntil, null);
  });

  test('delete removes the endpoint with its deliveries, audited; unknown ids are NOT_FOUND', async () => {
    const { id } = await addEndpoint(server, admin.token, receiver, ['user.created']);
    await server.gql(REGISTER, { input: { email: 'delete-me@example.com', password: STRONG_PASSWORD } });
    await waitForDeliveries(server, id, (rows) => rows.length === 1, 'one delivery');
    const res = await server.gql(OPS.remove, { id }, { token: admin.token });
    assert.equal(res.body.data.deleteWebhookEndpoint.id, id);
    assert.equal(await server.gatehouse.services.orm.em.fork().count(WebhookEndpoint, { id }), 0);
    assert.equal((await auditEvents(server, 'webhook.delete', id)).length, 1);
    assert.deepEqual(errorCodes(await server.gql(OPS.remove, { id }, { token: admin.token })), ['NOT_FOUND']);
    assert.deepEqual(errorCodes(await server.gql(OPS.deliveries, { endpointId: id }, { token: admin.token })), ['NOT_FOUND']);
  });

  test('deliveries are paginated newest first; a bad cursor or `first` is BAD_USER_INPUT', async () => {
    const { id } = await addEndpoint(server, admin.token, receiver, ['user.created']);
    for (const n of [1, 2, 3]) await server.gql(REGISTER, { input: { email: `page${n}@example.com`, password: STRONG_PASSWORD } });
    await waitForDeliveries(server, id, (rows) => rows.length === 3, 'three deliveries');
    const first = await server.gql(OPS.deliveries, { endpointId: id, first: 2 }, { token: admin.token });
    const page = first.body.data.webhookDeliveries;
    assert.equal(page.edges.length, 2);
    assert.equal(page.pageInfo.hasNextPage, true);
    assert.equal(JSON.parse(page.edges[0].node.payload).data.user.email, 'page3@example.com');
    const next = await server.gql(OPS.deliveries, { endpointId: id, first: 2, after: page.pageInfo.endCursor }, { token: admin.token });
    assert.equal(next.body.data.webhookDeliveries.edges.length, 1);
    assert.equal(JSON.parse(next.body.data.webhookDeliveries.edges[0].node.payload).data.user.email, 'page1@example.com');
    assert.deepEqual(errorCodes(await server.gql(OPS.deliveries, { endpointId: id, after: 'garbage' }, { token: admin.token })), ['BAD_USER_INPUT']);
    assert.deepEqual(errorCodes(await server.gql(OPS.deliveries, { endpointId: id, first: -1 }, { token: admin.token })), ['BAD_USER_INPUT']);
  });

  test('without webhooks permissions: FORBIDDEN for every operation; anonymous: UNAUTHENTICATED', async () => {
    const operations: Array<[string, Record<string, unknown>]> = [
      [OPS.list, {}],
      [OPS.eventTypes, {}],
      [OPS.deliveries, { endpointId: 'x' }],
      [OPS.create, { input: { url: receiver.url, eventTypes: ['*'] } }],
      [OPS.update, { input: { id: 'x', enabled: false } }],
      [OPS.rotate, { id: 'x' }],
      [OPS.remove, { id: 'x' }],
      [OPS.replay, { id: '1' }],
    ];
    const before = await endpointCount();
    for (const [query, variables] of operations) {
      assert.deepEqual(errorCodes(await server.gql(query, variables, { token: user.token })), ['FORBIDDEN'], query);
      assert.deepEqual(errorCodes(await server.gql(query, variables)), ['UNAUTHENTICATED'], query);
    }
    assert.equal(await endpointCount(), before);
  });
});

describe('webhook changes need a recent sign-in', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ ...WEBHOOK_ENV, STEP_UP_WINDOW: '10m' });
  });
  after(() => server.close());

  test('an admin signed in long ago may look but not change (REAUTHENTICATION_REQUIRED)', async () => {
    const admin = await signedInAdmin(server);
    server.clock.advance(11 * 60_000);
    assert.deepEqual(errorCodes(await server.gql(OPS.list, {}, { token: admin.token })), []);
    const res = await server.gql(OPS.create, { input: { url: 'https://example.com/hook', eventTypes: ['*'] } }, { token: admin.token });
    assert.deepEqual(errorCodes(res), ['REAUTHENTICATION_REQUIRED']);
    assert.equal(await server.gatehouse.services.orm.em.fork().count(WebhookEndpoint, {}), 0);
  });
});

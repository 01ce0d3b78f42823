// Deliveries end to end: a real server, real accounts, and a real receiver that verifies every
// request with the standardwebhooks library. Time for retries is the server's ManualClock.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, LOGIN, REGISTER, STRONG_PASSWORD, startTestServer, type TestServer } from '../helpers/server.ts';
import { addEndpoint, OPS, signedInAdmin, startReceiver, storedDeliveries, waitForDeliveries, WEBHOOK_ENV, type Receiver } from './webhook-helpers.ts';
import { auditEvents } from '../admin/users-helpers.ts';
import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../src/util/secret-box.ts';
import { WebhookEndpoint } from '../../src/webhooks/entities.ts';
import { newSigningSecret } from '../../src/webhooks/service.ts';

const HOUR = 3_600_000;

describe('webhook deliveries', () => {
  let server: TestServer;
  let admin: { token: string; userId: string };
  let receiver: Receiver;
  let endpoint: { id: string; secret: string };
  let n = 0;
  const register = async () => {
    const email = `user${++n}@example.com`;
    const res = await server.gql(REGISTER, { input: { email, password: STRONG_PASSWORD } });
    assert.equal(res.body.data?.register.__typename, 'AccountStatus', JSON.stringify(res.body));
    return email;
  };

  before(async () => {
    server = await startTestServer(WEBHOOK_ENV);
    admin = await signedInAdmin(server);
  });
  after(async () => {
    await server.close();
    await receiver?.close();
  });
  beforeEach(async () => {
    await receiver?.close();
    if (endpoint) await server.gql(OPS.remove, { id: endpoint.id }, { token: admin.token });
    receiver = await startReceiver();
    endpoint = await addEndpoint(server, admin.token, receiver);
  });

  test('a registration is delivered once, signed per Standard Webhooks, with non-secret facts only', async () => {
    const email = await register();
    const [received] = await receiver.waitFor(1);
    assert.ok(received!.verified, 'the signature verifies with standardwebhooks');
    assert.deepEqual(received!.verifiedWith, [endpoint.secret]);
    assert.equal(received!.verified.type, 'user.created');
    assert.equal(received!.verified.data.user.email, email);
    assert.equal(received!.verified.data.via, 'register');
    assert.match(received!.headers['webhook-id'] as string, /^msg_[0-9a-f]{32}$/);
    assert.match(received!.headers['webhook-signature'] as string, /^v1,[A-Za-z0-9+/]+=*$/);
    for (const secretish of [STRONG_PASSWORD, '$argon2', 'passwordHash', 'password_hash', endpoint.secret, 'token']) assert.ok(!received!.body.includes(secretish), `no ${secretish} in ${received!.body}`);
    const [row] = await waitForDeliveries(server, endpoint.id, (rows) => rows[0]?.status === 'succeeded', 'success');
    assert.equal(row!.attempts, 1);
    assert.equal(row!.lastResponseStatus, 204);
    assert.equal(row!.event.id, received!.headers['webhook-id']);
  });

  test('confirmation, password change and deletion each send their event', async () => {
    const { token, userId } = await createConfirmedUser(server, 'life@example.com');
    await server.gql(`mutation($c: String!, $n: String!) { changePassword(input: { currentPassword: $c, newPassword: $n }) { __typename } }`, { c: STRONG_PASSWORD, n: 'another correct horse staple battery' }, { token });
    await server.gql(`mutation { deleteUser(input: { id: "${userId}" }) { __typename } }`, {}, { token: admin.token });
    const received = await receiver.waitFor(4);
    assert.deepEqual(received.map((r) => r.verified?.type), ['user.created', 'user.email_confirmed', 'user.password_changed', 'user.deleted']);
    assert.ok(received.every((r) => r.verified?.data.user.id === userId));
    assert.equal(received[2]!.verified!.data.via, 'change');
    assert.equal(received[3]!.verified!.data.via, 'admin');
    assert.equal(new Set(received.map((r) => r.headers['webhook-id'])).size, 4, 'each event has its own id');
  });

  test('wrong passwords that reach the sign-in throttle send auth.sign_in_throttled; an unknown email sends nothing', async () => {
    await createConfirmedUser(server, 'guessed@example.com');
    await receiver.waitFor(2);
    const wrong = async (email: string) => server.gql(LOGIN, { email, password: 'not the password at all' });
    for (let attempt = 1; attempt <= 4; attempt++) assert.equal((await wrong('guessed@example.com')).body.data.login.__typename, 'InvalidCredentialsError');
    for (let attempt = 1; attempt <= 6; attempt++) await wrong('nobody-here@example.com');
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(receiver.received.length, 2, 'four failures are below the throttle; failures for no account send nothing');
    await wrong('guessed@example.com');
    const [, , throttled] = await receiver.waitFor(3);
    assert.equal(throttled!.verified?.type, 'auth.sign_in_throttled');
    assert.equal(throttled!.verified!.data.user.email, 'guessed@example.com');
    assert.equal(throttled!.verified!.data.ip, '127.0.0.1');
    assert.ok(!throttled!.body.includes('not the password at all'));
  });

  test('a 500 is retried with backoff when the clock reaches the next attempt, with the same webhook-id', async () => {
    receiver.answer = () => (receiver.received.length === 1 ? 500 : 204);
    await register();
    await receiver.waitFor(1);
    const [failed] = await waitForDeliveries(server, endpoint.id, (rows) => rows[0]?.lastResponseStatus === 500 && rows[0].leaseUntil === null, 'the failure recorded');
    assert.equal(failed!.status, 'pending');
    assert.equal(failed!.lastError, 'HTTP 500');
    const wait = failed!.nextAttemptAt.getTime() - server.clock.now().getTime();
    assert.ok(wait >= 2_500 && wait <= 5_000, `first retry after 2.5–5 s of clock time, got ${wait} ms`);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(receiver.received.length, 1, 'nothing is sent before the retry is due');
    server.clock.advance(wait);
    const [first, second] = await receiver.waitFor(2);
    assert.equal(second!.headers['webhook-id'], first!.headers['webhook-id']);
    assert.ok(second!.verified);
    const [row] = await waitForDeliveries(server, endpoint.id, (rows) => rows[0]?.status === 'succeeded', 'success');
    assert.equal(row!.attempts, 2);
  });

  test('an endpoint that does not answer times out and is retried', async () => {
    receiver.answer = () => (receiver.received.length === 1 ? 'hang' : 204);
    await register();
    const [row] = await waitForDeliveries(server, endpoint.id, (rows) => rows[0]?.lastError === 'timeout', 'the timeout recorded');
    assert.equal(row!.status, 'pending');
    assert.equal(row!.lastResponseStatus, null);
    server.clock.advance(10_000);
    await receiver.waitFor(2);
    await waitForDeliveries(server, endpoint.id, (rows) => rows[0]?.status === 'succeeded', 'success after the timeout');
  });

  test('after the retry period a delivery is marked failed; replaying it sends it again with the same id', async () => {
    receiver.answer = () => 503;
    await register();
    await waitForDeliveries(server, endpoint.id, (rows) => rows[0]?.lastResponseStatus === 503 && rows[0].leaseUntil === null, 'the first failure');
    server.clock.advance(25 * HOUR);
    const [failed] = await waitForDeliveries(server, endpoint.id, (rows) => rows[0]?.status === 'failed', 'failed after 24 h');
    assert.equal(failed!.attempts, 2);
    server.clock.advance(HOUR);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(receiver.received.length, 2, 'a failed delivery is not retried by itself');

    receiver.answer = () => 200;
    const replayed = await server.gql(OPS.replay, { id: String(failed!.id) }, { token: admin.token });
    assert.equal(replayed.body.data?.replayWebhookDelivery.status, 'PENDING', JSON.stringify(replayed.body));
    const received = await receiver.waitFor(3);
    assert.equal(received[2]!.headers['webhook-id'], received[0]!.headers['webhook-id']);
    await waitForDeliveries(server, endpoint.id, (rows) => rows[0]?.status === 'succeeded', 'success after replay');
    assert.equal((await auditEvents(server, 'webhook.replay', endpoint.id)).length, 1);

    const listed = await server.gql(OPS.deliveries, { endpointId: endpoint.id }, { token: admin.token });
    const node = listed.body.data.webhookDeliveries.edges[0].node;
    assert.equal(node.status, 'SUCCEEDED');
    assert.equal(node.attempts, 3);
    assert.equal(node.lastResponseStatus, 200);
    assert.equal(node.eventType, 'user.created');
    assert.ok(node.lastAttemptAt && node.deliveredAt);
  });

  test('replaying an unknown delivery is NOT_FOUND', async () => {
    const res = await server.gql(OPS.replay, { id: '999999' }, { token: admin.token });
    assert.equal(res.body.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    const bad = await server.gql(OPS.replay, { id: 'nope' }, { token: admin.token });
    assert.equal(bad.body.errors?.[0]?.extensions?.code, 'NOT_FOUND');
  });

  test('a redirect is not followed: it counts as a failed attempt', async () => {
    const elsewhere = await startReceiver();
    try {
      receiver.answer = () => ({ redirect: elsewhere.url });
      await register();
      const [row] = await waitForDeliveries(server, endpoint.id, (rows) => rows[0]?.lastError === 'redirect refused', 'the refusal');
      assert.equal(row!.lastResponseStatus, 302);
      assert.equal(row!.status, 'pending');
      await new Promise((resolve) => setTimeout(resolve, 150));
      assert.equal(elsewhere.received.length, 0);
    } finally {
      await elsewhere.close();
    }
  });

  test('a disabled endpoint gets nothing; an endpoint gets only the types it subscribed to', async () => {
    const deletions = await startReceiver();
    try {
      const onlyDeleted = await addEndpoint(server, admin.token, deletions, ['user.deleted']);
      const disabled = await server.gql(OPS.update, { input: { id: endpoint.id, enabled: false } }, { token: admin.token });
      assert.equal(disabled.body.data?.updateWebhookEndpoint.enabled, false);
      const { token } = await createConfirmedUser(server, 'quiet@example.com');
      const deleted = await server.gql(`mutation { deleteAccount { __typename } }`, {}, { token });
      assert.equal(deleted.body.data?.deleteAccount.__typename, 'DeletedUser', JSON.stringify(deleted.body));
      const [received] = await deletions.waitFor(1);
      assert.equal(received!.verified?.type, 'user.deleted');
      assert.equal(received!.verified?.data.via, 'self');
      await new Promise((resolve) => setTimeout(resolve, 150));
      assert.equal(receiver.received.length, 0, 'the disabled endpoint got nothing');
      assert.equal((await storedDeliveries(server, endpoint.id)).length, 0, 'nothing is queued for it either');
      assert.equal(deletions.received.length, 1, 'only user.deleted');
      await server.gql(OPS.remove, { id: onlyDeleted.id }, { token: admin.token });
    } finally {
      await deletions.close();
    }
  });

  test('rotation: both secrets sign during the overlap, only the new one after', async () => {
    const rotated = await server.gql(OPS.rotate, { id: endpoint.id, overlapHours: 2 }, { token: admin.token });
    const result = rotated.body.data?.rotateWebhookSecret;
    assert.equal(result?.__typename, 'WebhookEndpointWithSecret', JSON.stringify(rotated.body));
    assert.notEqual(result.secret, endpoint.secret);
    assert.equal(new Date(result.endpoint.previousSecretUntil).getTime(), server.clock.now().getTime() + 2 * HOUR);
    receiver.secrets = [endpoint.secret];
    await register();
    const [during] = await receiver.waitFor(1);
    assert.equal((during!.headers['webhook-signature'] as string).split(' ').length, 2);
    assert.ok(during!.verified, 'a receiver still on the old secret verifies');
    receiver.secrets = [result.secret];
    const { Webhook } = await import('standardwebhooks');
    assert.doesNotThrow(() => new Webhook(result.secret).verify(during!.body, during!.headers as Record<string, string>), 'and one on the new secret too');

    server.clock.advance(2 * HOUR + 1);
    receiver.secrets = [endpoint.secret, result.secret];
    await register();
    const [, afterOverlap] = await receiver.waitFor(2);
    assert.deepEqual(afterOverlap!.verifiedWith, [result.secret], 'after the overlap only the new secret signs');
    assert.equal((await auditEvents(server, 'webhook.rotate_secret', endpoint.id)).length, 1);
  });

  test('a secret sealed under another SECRETS_KEY fails the attempt (and says why) instead of sending unsigned', async () => {
    const em = server.gatehouse.services.orm.em.fork();
    await em.nativeUpdate(WebhookEndpoint, { id: endpoint.id }, { secret: new SecretBox(randomBytes(32)).seal(newSigningSecret()) });
    await register();
    const [row] = await waitForDeliveries(server, endpoint.id, (rows) => rows[0]?.lastError != null, 'the failed attempt');
    assert.match(row!.lastError!, /signing secret unreadable/);
    assert.equal(row!.status, 'pending');
    assert.equal(receiver.received.length, 0);
  });

  test('a hanging endpoint holds up neither requests nor another endpoint', async () => {
    const other = await startReceiver();
    try {
      const second = await addEndpoint(server, admin.token, other);
      receiver.answer = () => 'hang';
      await register();
      await receiver.waitFor(1, 'the hanging attempt');
      // While the first endpoint still hangs, requests are answered and the other endpoint is served.
      await register();
      await other.waitFor(2);
      const [stuck] = await storedDeliveries(server, endpoint.id);
      assert.equal(stuck!.status, 'pending');
      await server.gql(OPS.remove, { id: second.id }, { token: admin.token });
    } finally {
      await other.close();
    }
  });
});

// Webhook history retention: old events go with their finished deliveries; an event with a
// delivery still pending stays, whatever its age, and so do recent ones.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { REGISTER, STRONG_PASSWORD, startTestServer, type TestServer } from '../helpers/server.ts';
import { WebhookDelivery, WebhookEvent } from '../../src/webhooks/entities.ts';
import { pruneWebhookEvents } from '../../src/webhooks/retention.ts';
import { addEndpoint, OPS, signedInAdmin, startReceiver, waitForDeliveries, WEBHOOK_ENV, type Receiver } from './webhook-helpers.ts';

let server: TestServer;
let receiver: Receiver;
before(async () => {
  server = await startTestServer({ ...WEBHOOK_ENV, WEBHOOK_RETENTION: '30d' });
  receiver = await startReceiver();
});
after(async () => {
  await server.close();
  await receiver.close();
});

test('events older than WEBHOOK_RETENTION are pruned once their deliveries are finished', async () => {
  const admin = await signedInAdmin(server);
  const endpoint = await addEndpoint(server, admin.token, receiver, ['user.created']);
  receiver.answer = (request) => (request.body.includes('old-pending@') ? 500 : 204);
  for (const email of ['old-done@example.com', 'old-pending@example.com']) await server.gql(REGISTER, { input: { email, password: STRONG_PASSWORD } });
  await waitForDeliveries(server, endpoint.id, (rows) => rows.length === 2 && rows.every((r) => r.attempts > 0 && r.leaseUntil === null), 'both attempted');
  // Disabled, the endpoint's failed delivery stays pending however much time passes.
  await server.gql(OPS.update, { input: { id: endpoint.id, enabled: false } }, { token: admin.token });
  const recent = await addEndpoint(server, admin.token, receiver, ['user.created']);
  server.clock.advance(31 * 86_400_000);
  await server.gql(REGISTER, { input: { email: 'recent@example.com', password: STRONG_PASSWORD } });
  await waitForDeliveries(server, recent.id, (rows) => rows[0]?.status === 'succeeded', 'the recent delivery');

  const em = server.gatehouse.services.orm.em.fork();
  assert.equal(await em.count(WebhookEvent, {}), 3);
  const deleted = await pruneWebhookEvents(em, server.gatehouse.services);
  assert.equal(deleted, 1, 'only the old event whose delivery finished');
  const left = await em.fork().find(WebhookDelivery, {}, { populate: ['event'], orderBy: { id: 'asc' } });
  assert.deepEqual(
    left.map((d) => [d.status, JSON.parse(d.event.payload).data.user.email]),
    [['pending', 'old-pending@example.com'], ['succeeded', 'recent@example.com']],
  );
});

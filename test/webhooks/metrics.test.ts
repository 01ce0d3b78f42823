// Webhooks in /metrics: attempts by outcome and their durations, the backlog and how long its oldest
// due delivery has waited, on a real server delivering to a real receiver (time is the ManualClock).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { REGISTER, STRONG_PASSWORD, startTestServer, type TestServer } from '../helpers/server.ts';
import { addEndpoint, signedInAdmin, startReceiver, waitForDeliveries, WEBHOOK_ENV, type Receiver } from './webhook-helpers.ts';
import { scrape, scrapeUntil } from '../observability/scrape.ts';
import { WebhookDelivery, WebhookEndpoint } from '../../src/webhooks/entities.ts';

const TOKEN = 'metrics-token-for-webhook-tests-0123';
const HOUR = 3_600_000;

describe('webhook metrics', () => {
  let server: TestServer;
  let receiver: Receiver;
  let endpointId: string;
  let n = 0;
  const register = async () => {
    const res = await server.gql(REGISTER, { input: { email: `metered${++n}@example.com`, password: STRONG_PASSWORD } });
    assert.equal(res.body.data?.register.__typename, 'AccountStatus', JSON.stringify(res.body));
  };

  before(async () => {
    server = await startTestServer({ ...WEBHOOK_ENV, METRICS_TOKEN: TOKEN });
    receiver = await startReceiver();
    const admin = await signedInAdmin(server);
    ({ id: endpointId } = await addEndpoint(server, admin.token, receiver));
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  test('a delivered event counts a succeeded attempt with its duration; the backlog is empty', async () => {
    const before = await scrape(server, TOKEN);
    const succeeded = before.value('gatehouse_webhook_attempts_total', { outcome: 'succeeded' }) ?? 0;
    await register();
    const after = await scrapeUntil(server, TOKEN, (s) => s.value('gatehouse_webhook_attempts_total', { outcome: 'succeeded' }) === succeeded + 1);
    assert.equal(after.value('gatehouse_webhook_attempt_duration_seconds_count', { outcome: 'succeeded' }), succeeded + 1);
    assert.equal(after.value('gatehouse_webhook_backlog'), 0);
    assert.equal(after.value('gatehouse_webhook_backlog_oldest_due_seconds'), 0);
  });

  test('a 500 counts a retrying attempt and the delivery waits in the backlog; past the retry period the attempt counts as failed', async () => {
    const before = await scrape(server, TOKEN);
    const retrying = before.value('gatehouse_webhook_attempts_total', { outcome: 'retrying' }) ?? 0;
    receiver.answer = () => 500;
    await register();
    const waiting = await scrapeUntil(server, TOKEN, (s) => s.value('gatehouse_webhook_attempts_total', { outcome: 'retrying' }) === retrying + 1);
    assert.equal(waiting.value('gatehouse_webhook_backlog'), 1);
    assert.equal(waiting.value('gatehouse_webhook_backlog_oldest_due_seconds'), 0, 'not due before its retry time');

    // The endpoint goes on failing until the retry period is over: then the attempt counts as failed.
    server.clock.advance(25 * HOUR);
    const failed = await scrapeUntil(server, TOKEN, (s) => (s.value('gatehouse_webhook_attempts_total', { outcome: 'failed' }) ?? 0) === 1);
    assert.equal(failed.value('gatehouse_webhook_backlog'), 0);
    assert.doesNotMatch(failed.text, /metered\d+@example\.com/, 'no email in any metric');
  });

  test('a due delivery nobody takes shows how long it has waited', async () => {
    // The endpoint is disabled (the dispatcher claims for enabled endpoints only), and the failed
    // delivery is made due half an hour ago, as if instances were down.
    const em = server.gatehouse.services.orm.em.fork();
    await em.nativeUpdate(WebhookEndpoint, { id: endpointId }, { enabled: false });
    const due = new Date(server.clock.now().getTime() - HOUR / 2);
    assert.equal(await em.nativeUpdate(WebhookDelivery, { endpoint: endpointId, status: 'failed' }, { status: 'pending', nextAttemptAt: due }), 1);
    const result = await scrape(server, TOKEN);
    assert.equal(result.value('gatehouse_webhook_backlog'), 1);
    assert.equal(result.value('gatehouse_webhook_backlog_oldest_due_seconds'), 1800);
  });
});

// /metrics on a real server: the bearer token (missing, wrong, of another length, another scheme),
// the endpoint off without METRICS_TOKEN, and what is counted: operations by name, type and outcome
// (parse and validation failures, refusals), their durations, logins by outcome, throttled
// attempts, running subscriptions over graphql-ws and SSE, live connections, the database, Node's
// event loop — with operation names capped and no email in any label.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'graphql-ws';
import { createConfirmedUser, startTestServer, STRONG_PASSWORD, LOGIN, type TestServer } from '../helpers/server.ts';
import { TEST_DIALECT } from '../helpers/backends.ts';
import { CHANGED, sseSubscribe, wsClient, wsSubscribe, type SseStream } from '../maintenance/maintenance-helpers.ts';
import { OPERATION_NAME_LIMIT } from '../../src/observability/metrics.ts';
import { scrape, scrapeUntil } from './scrape.ts';
import { enableTotp, loginChallenge, totpCode, VERIFY } from '../mfa/mfa-helpers.ts';

const TOKEN = 'metrics-token-for-tests-0123456789';
const OPERATIONS = 'gatehouse_graphql_operations_total';

describe('/metrics without METRICS_TOKEN', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('is not there: 404 with or without a token', async () => {
    for (const headers of [{}, { authorization: `Bearer ${TOKEN}` }] as Array<Record<string, string>>) {
      const res = await fetch(`${server.origin}/metrics`, { headers });
      assert.equal(res.status, 404);
      assert.deepEqual(await res.json(), { error: 'Not found.' });
    }
  });
});

describe('/metrics with METRICS_TOKEN', () => {
  let server: TestServer;
  let user: { token: string; userId: string };
  const clients: Client[] = [];
  const streams: SseStream[] = [];

  before(async () => {
    server = await startTestServer({ METRICS_TOKEN: TOKEN, LOGIN_FAILURES_BEFORE_DELAY: '2' });
    user = await createConfirmedUser(server, 'metrics.user@example.com');
  });
  after(async () => {
    for (const stream of streams) stream.close();
    await Promise.all(clients.map((c) => c.dispose()));
    await server.close();
  });

  test('refuses a missing, wrong or differently long token, and other schemes, with 401', async () => {
    const cases: Array<Record<string, string>> = [
      {},
      { authorization: `Bearer ${TOKEN.slice(0, -1)}x` },
      { authorization: `Bearer ${TOKEN}extra` },
      { authorization: 'Bearer short' },
      { authorization: `Basic ${Buffer.from(`metrics:${TOKEN}`).toString('base64')}` },
      { authorization: TOKEN },
      { authorization: 'Bearer ' },
    ];
    for (const headers of cases) {
      const res = await fetch(`${server.origin}/metrics`, { headers });
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="metrics"');
      const text = await res.text();
      assert.doesNotMatch(text, /gatehouse_|nodejs_/);
    }
  });

  test('answers GET with the token in the Prometheus text format; other methods 405', async () => {
    const res = await fetch(`${server.origin}/metrics`, { headers: { authorization: `bearer ${TOKEN}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const text = await res.text();
    assert.match(text, /^# HELP gatehouse_graphql_operations_total /m);
    assert.match(text, /^# TYPE gatehouse_graphql_operation_duration_seconds histogram$/m);
    const post = await fetch(`${server.origin}/metrics`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
  });

  test('counts operations by name, type and outcome, and times queries and mutations', async () => {
    const before = await scrape(server, TOKEN);
    for (let i = 0; i < 3; i++) {
      const res = await server.gql('query MetricsViewer { viewer { id } }', {}, { token: user.token });
      assert.equal(res.body.data?.viewer?.id, user.userId);
    }
    // Anonymous: a permission-guarded field is refused.
    const refused = await server.gql('query MetricsRoles { roles { name } }');
    assert.equal(refused.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    assert.equal((await server.gql('{ maintenance { enabled } }')).status, 200);
    assert.equal((await server.gql('query MetricsBroken { viewer { id ')).status, 400);
    assert.equal((await server.gql('query MetricsInvalid { noSuchField }')).status, 400);

    const after = await scrape(server, TOKEN);
    const delta = (labels: Record<string, string>) => (after.value(OPERATIONS, labels) ?? 0) - (before.value(OPERATIONS, labels) ?? 0);
    assert.equal(delta({ operation: 'MetricsViewer', type: 'query', outcome: 'success' }), 3);
    assert.equal(delta({ operation: 'MetricsRoles', type: 'query', outcome: 'UNAUTHENTICATED' }), 1);
    assert.equal(delta({ operation: 'anonymous', type: 'query', outcome: 'success' }), 1);
    // The name of a document that does not parse is not known.
    assert.equal(delta({ operation: 'anonymous', type: 'unknown', outcome: 'GRAPHQL_PARSE_FAILED' }), 1);
    assert.equal(delta({ operation: 'MetricsInvalid', type: 'query', outcome: 'GRAPHQL_VALIDATION_FAILED' }), 1);

    const histogram = 'gatehouse_graphql_operation_duration_seconds';
    assert.equal(after.value(`${histogram}_count`, { operation: 'MetricsViewer', type: 'query' }), 3);
    const sum = after.value(`${histogram}_sum`, { operation: 'MetricsViewer', type: 'query' })!;
    assert.ok(sum > 0, `sum ${sum}`);
    const buckets = after.find(`${histogram}_bucket`, { operation: 'MetricsViewer', type: 'query' });
    assert.equal(buckets.find((b) => b.labels.le === '+Inf')?.value, 3);
  });

  test('counts logins by outcome and reason, and throttled attempts, with no email in any label', async () => {
    const before = await scrape(server, TOKEN);
    const email = 'metrics.user@example.com';
    const attempt = async (password: string) => (await server.gql(LOGIN, { email, password })).body;
    assert.equal((await attempt(STRONG_PASSWORD)).data?.login.__typename, 'CreatedSession');
    // LOGIN_FAILURES_BEFORE_DELAY=2: two wrong passwords, then the third attempt waits.
    for (let i = 0; i < 2; i++) assert.equal((await attempt('wrong password, surely')).data?.login.__typename, 'InvalidCredentialsError');
    const throttled = await attempt('wrong password, surely');
    assert.equal(throttled.errors?.[0]?.extensions?.code, 'RATE_LIMITED');

    const after = await scrape(server, TOKEN);
    const delta = (name: string, labels: Record<string, string>) => (after.value(name, labels) ?? 0) - (before.value(name, labels) ?? 0);
    assert.equal(delta('gatehouse_logins_total', { outcome: 'success', method: 'password' }), 1);
    assert.equal(delta('gatehouse_logins_total', { outcome: 'failure', method: 'password', reason: 'invalid_credentials' }), 2);
    assert.equal(delta('gatehouse_throttled_attempts_total', { limit: 'login' }), 1);
    // The login mutation itself: typed failures are answers, not errors; the throttled one is RATE_LIMITED.
    assert.equal(delta(OPERATIONS, { operation: 'anonymous', type: 'mutation', outcome: 'RATE_LIMITED' }), 1);
    assert.doesNotMatch(after.text, /metrics\.user|example\.com|@/);
  });

  test('counts a failed second step as a failed sign-in, by the factor tried and why; a malformed answer is not counted', async () => {
    const email = 'metrics.totp@example.com';
    const { token } = await createConfirmedUser(server, email);
    const { secret } = await enableTotp(server, token);
    // A fresh minute of the IP budget (earlier tests signed in from this address).
    server.clock.advance(60_000);
    const before = await scrape(server, TOKEN);
    const verify = async (input: Record<string, unknown>) => (await server.gql(VERIFY, { input })).body.data?.verifySecondFactor;

    const { challenge } = await loginChallenge(server, email);
    assert.equal((await verify({ challenge, totp: totpCode(server, secret, 5) })).code, 'INVALID_CODE');
    assert.equal((await verify({ challenge: `${challenge}x`, totp: totpCode(server, secret) })).code, 'INVALID_TOKEN');
    assert.equal((await verify({ challenge, recoveryCode: 'AAAA-BBBB-CC' })).code, 'INVALID_CODE');
    // Neither a code nor a passkey: a validation error, not an attempt.
    assert.equal((await verify({ challenge })).__typename, 'ValidationError');
    // Past the delay the two wrong codes earned (LOGIN_FAILURES_BEFORE_DELAY=2), within the challenge's five minutes.
    server.clock.advance(60_000);
    assert.equal((await verify({ challenge, totp: totpCode(server, secret) })).__typename, 'CreatedSession');

    const after = await scrape(server, TOKEN);
    const delta = (labels: Record<string, string>) => (after.value('gatehouse_logins_total', labels) ?? 0) - (before.value('gatehouse_logins_total', labels) ?? 0);
    assert.equal(delta({ outcome: 'failure', method: 'second_factor:totp', reason: 'invalid_code' }), 1);
    assert.equal(delta({ outcome: 'failure', method: 'second_factor:totp', reason: 'invalid_token' }), 1);
    assert.equal(delta({ outcome: 'failure', method: 'second_factor:recovery_code', reason: 'invalid_code' }), 1);
    // The sign-in that finished counts once, as a success of its first factor.
    assert.equal(delta({ outcome: 'success', method: 'password' }), 1);
    // …and nothing else: the malformed answer is in no series.
    const secondStepFailures = (scraped: typeof after) =>
      scraped.find('gatehouse_logins_total', { outcome: 'failure' }).filter((s) => s.labels.method?.startsWith('second_factor:')).reduce((sum, s) => sum + s.value, 0);
    assert.equal(secondStepFailures(after) - secondStepFailures(before), 3);
    assert.doesNotMatch(after.text, /metrics\.totp|example\.com|@/);
  });

  test('caps distinct operation names: past the limit they count as `other`', async () => {
    const names = Array.from({ length: OPERATION_NAME_LIMIT + 20 }, (_, i) => `Random${i}x${Math.random().toString(36).slice(2, 8)}`);
    for (const name of names) await server.gql(`query ${name} { maintenance { enabled } }`);
    const after = await scrape(server, TOKEN);
    const operations = new Set(after.find(OPERATIONS).map((s) => s.labels.operation));
    assert.ok(operations.size <= OPERATION_NAME_LIMIT + 2, `${operations.size} operation label values`); // + anonymous, other
    assert.ok(operations.has('other'));
    assert.ok(!operations.has(names.at(-1)!));
    assert.ok((after.value(OPERATIONS, { operation: 'other', type: 'query', outcome: 'success' }) ?? 0) >= 20);
  });

  test('follows running subscriptions over graphql-ws and SSE, and the live connections of signed-in viewers', async () => {
    const ws = wsClient(server, user.token);
    clients.push(ws);
    const socket = wsSubscribe(ws, CHANGED);
    await socket.events.next();
    const stream = await sseSubscribe(server, CHANGED);
    streams.push(stream);
    await stream.events.next();
    const gauge = 'gatehouse_active_subscriptions';
    const running = await scrapeUntil(server, TOKEN, (s) => s.value(gauge, { transport: 'websocket' }) === 1 && s.value(gauge, { transport: 'sse' }) === 1);
    assert.equal(running.value('gatehouse_live_connections'), 1);
    assert.equal(running.value(OPERATIONS, { operation: 'anonymous', type: 'subscription', outcome: 'success' }), 2);

    socket.stop();
    stream.close();
    const ended = await scrapeUntil(server, TOKEN, (s) => s.value(gauge, { transport: 'websocket' }) === 0 && s.value(gauge, { transport: 'sse' }) === 0);
    assert.equal(ended.value(gauge, { transport: 'sse' }), 0);
  });

  test("exports Node's event-loop lag and the database's state", async () => {
    const result = await scrape(server, TOKEN);
    assert.ok(result.value('nodejs_eventloop_lag_seconds') !== undefined, 'nodejs_eventloop_lag_seconds');
    assert.ok(result.find('nodejs_eventloop_lag_p99_seconds').length === 1);
    if (TEST_DIALECT === 'sqlite') {
      assert.ok(result.value('gatehouse_sqlite_file_bytes', { file: 'database' })! > 0);
      assert.ok(result.value('gatehouse_sqlite_file_bytes', { file: 'wal' })! >= 0);
      assert.equal(result.find('gatehouse_db_pool_connections').length, 0);
    } else {
      assert.equal(result.value('gatehouse_db_pool_connections', { state: 'max' }), server.gatehouse.config.databasePoolSize);
      assert.ok(result.value('gatehouse_db_pool_connections', { state: 'idle' })! >= 0);
      assert.ok(result.value('gatehouse_db_pool_connections', { state: 'in_use' })! >= 0);
      assert.equal(result.value('gatehouse_db_pool_waiting_queries'), 0);
      assert.equal(result.find('gatehouse_sqlite_file_bytes').length, 0);
    }
  });

  test('other domains add their metrics through the registry hook (names start with gatehouse_)', async () => {
    const { metrics } = server.gatehouse.services;
    const deliveries = metrics.counter({ name: 'gatehouse_test_deliveries_total', help: 'Test deliveries.', labelNames: ['outcome'] as const });
    deliveries.inc({ outcome: 'delivered' }, 2);
    let backlog = 7;
    metrics.gauge({
      name: 'gatehouse_test_backlog',
      help: 'Test backlog.',
      collect() {
        this.set(backlog);
      },
    });
    const first = await scrape(server, TOKEN);
    assert.equal(first.value('gatehouse_test_deliveries_total', { outcome: 'delivered' }), 2);
    assert.equal(first.value('gatehouse_test_backlog'), 7);
    backlog = 3;
    assert.equal((await scrape(server, TOKEN)).value('gatehouse_test_backlog'), 3);
    assert.throws(() => metrics.counter({ name: 'webhook_deliveries_total', help: 'x' }), /start with gatehouse_/);
  });
});

describe('/metrics with TRUSTED_DOCUMENTS', () => {
  const TRUSTED = 'query TrustedMaintenance { maintenance { enabled } }';
  let server: TestServer;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-metrics-trusted-'));
    const manifest = join(dir, 'persisted-documents.json');
    writeFileSync(manifest, JSON.stringify({ [`sha256:${createHash('sha256').update(TRUSTED).digest('hex')}`]: TRUSTED }));
    server = await startTestServer({ METRICS_TOKEN: TOKEN, TRUSTED_DOCUMENTS: manifest });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("names the trusted documents' operations only; a refused stranger counts as `other`", async () => {
    assert.equal((await server.gql(TRUSTED)).body.data?.maintenance.enabled, false);
    const stranger = await server.gql('query StrangerOperation { maintenance { enabled } }');
    assert.equal(stranger.body.errors?.[0]?.extensions?.code, 'TRUSTED_DOCUMENT_REQUIRED');
    const result = await scrape(server, TOKEN);
    assert.equal(result.value(OPERATIONS, { operation: 'TrustedMaintenance', type: 'query', outcome: 'success' }), 1);
    assert.equal(result.value(OPERATIONS, { operation: 'other', type: 'query', outcome: 'TRUSTED_DOCUMENT_REQUIRED' }), 1);
    assert.doesNotMatch(result.text, /StrangerOperation/);
  });
});

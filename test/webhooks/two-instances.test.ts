// Two `gatehouse serve` processes on one PostgreSQL database, both dispatching: under normal
// operation each event is delivered exactly once (claims use FOR UPDATE SKIP LOCKED and a lease).
// Runs in the PostgreSQL pass (scripts/test-backends.sh).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { POSTGRES_ADMIN_URL } from '../helpers/backends.ts';
import { REGISTER, STRONG_PASSWORD } from '../helpers/server.ts';
import { gql, startInstance, stopInstance, type Instance } from '../helpers/instances.ts';
import { dropDatabase, ensureDatabase } from '../../src/db/postgresql-admin.ts';
import { OPS, startReceiver, type Receiver } from './webhook-helpers.ts';

const ADMIN_EMAIL = 'webhooks.admin@example.com';
const REGISTRATIONS = 40;

describe('webhooks on two instances', { skip: POSTGRES_ADMIN_URL ? false : 'needs TEST_DATABASE_URL (scripts/test-backends.sh start)' }, () => {
  const database = `gatehouse_webhooks_${randomBytes(4).toString('hex')}`;
  let dir: string;
  let receiver: Receiver;
  let instances: Instance[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-webhooks-pg-'));
    receiver = await startReceiver();
    const env = {
      DATABASE_URL: await ensureDatabase(POSTGRES_ADMIN_URL!, database),
      SECRETS_KEY: randomBytes(32).toString('base64'),
      ADMIN_EMAIL,
      ADMIN_PASSWORD: STRONG_PASSWORD,
      AUTH_RATE_LIMIT_PER_MINUTE: '100000',
      WEBHOOK_POLL_INTERVAL: '10ms',
      WEBHOOK_TIMEOUT: '5s',
    };
    // One after the other: the first runs the migrations.
    instances.push(await startInstance('a', mkdtempSync(join(dir, 'a-')), env));
    instances.push(await startInstance('b', mkdtempSync(join(dir, 'b-')), env));
  });
  after(async () => {
    await Promise.allSettled(instances.map(stopInstance));
    await receiver.close();
    await dropDatabase(POSTGRES_ADMIN_URL!, database);
    rmSync(dir, { recursive: true, force: true });
  });

  test('each event is delivered once although both instances poll every 10 ms', async () => {
    const [a, b] = instances as [Instance, Instance];
    const login = await gql(a, `mutation($e: String!, $p: String!) { login(input: { email: $e, password: $p }) { ... on CreatedSession { token } } }`, { e: ADMIN_EMAIL, p: STRONG_PASSWORD });
    const created = await gql(a, OPS.create, { input: { url: receiver.url, eventTypes: ['*'] } }, login.data.login.token);
    receiver.secrets.push(created.data.createWebhookEndpoint.secret);
    await Promise.all(
      Array.from({ length: REGISTRATIONS }, async (_, i) => {
        const res = await gql(i % 2 ? b : a, REGISTER, { input: { email: `two${i}@example.com`, password: STRONG_PASSWORD } });
        assert.equal(res.data?.register.__typename, 'AccountStatus', JSON.stringify(res));
      }),
    );
    await receiver.waitFor(REGISTRATIONS);
    // Give a would-be second delivery time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(receiver.received.length, REGISTRATIONS);
    assert.ok(receiver.received.every((r) => r.verified?.type === 'user.created'));
    assert.equal(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size, REGISTRATIONS);
    assert.equal(new Set(receiver.received.map((r) => r.verified!.data.user.email)).size, REGISTRATIONS);
  });
});

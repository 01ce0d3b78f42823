// SSRF: in production, endpoints cannot point at private, loopback or link-local addresses, by URL
// or by a name that resolves to one, and redirects are never followed (delivery.test.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/index.ts';
import { createWebhookTransport, isPublicAddress } from '../../src/webhooks/transport.ts';
import { urlProblems } from '../../src/webhooks/service.ts';
import { WebhookEndpoint } from '../../src/webhooks/entities.ts';
import { newSigningSecret } from '../../src/webhooks/service.ts';
import { REGISTER, STRONG_PASSWORD, startTestServer, type TestServer } from '../helpers/server.ts';
import { OPS, signedInAdmin, startReceiver, waitForDeliveries, WEBHOOK_ENV, type Receiver } from './webhook-helpers.ts';

test('public and non-public addresses', () => {
  for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'not an ip']) {
    assert.equal(isPublicAddress(address), false, address);
  }
  for (const address of ['93.184.215.14', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8']) assert.equal(isPublicAddress(address), true, address);
});

test('production URL rules refuse loopback, private and plain http; development allows http to this machine only', () => {
  const production = loadConfig({ NODE_ENV: 'production', DATABASE_URL: '/tmp/x.db' });
  for (const url of ['http://127.0.0.1:8080/hook', 'https://127.0.0.1/hook', 'https://localhost/hook', 'https://10.0.0.5/hook', 'https://[::1]/hook', 'https://169.254.169.254/latest', 'http://example.com/hook']) {
    assert.notDeepEqual(urlProblems(production, url), [], url);
  }
  assert.deepEqual(urlProblems(production, 'https://hooks.example.com/gatehouse'), []);
  const development = loadConfig({ NODE_ENV: 'development', DATABASE_URL: '/tmp/x.db' });
  assert.deepEqual(urlProblems(development, 'http://127.0.0.1:8080/hook'), []);
  assert.deepEqual(urlProblems(development, 'http://localhost:8080/hook'), []);
  assert.notDeepEqual(urlProblems(development, 'http://192.168.1.10/hook'), []);
});

describe('the production transport', () => {
  let receiver: Receiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(() => receiver.close());

  test('refuses a loopback address given literally or by a name, and sends nothing', async () => {
    const transport = createWebhookTransport({ refusePrivateAddresses: true });
    try {
      const port = new URL(receiver.url).port;
      for (const url of [receiver.url, `http://localhost:${port}/hooks`, `http://[::ffff:127.0.0.1]:${port}/hooks`]) {
        const outcome = await transport.post(url, { 'content-type': 'application/json' }, '{}', 2_000);
        assert.deepEqual(outcome, { ok: false, status: null, error: 'address refused: not a public address' }, url);
      }
      assert.equal(receiver.received.length, 0);
    } finally {
      await transport.close();
    }
    // The same request outside production reaches the receiver: the refusal above was the guard's.
    const open = createWebhookTransport({ refusePrivateAddresses: false });
    try {
      assert.deepEqual(await open.post(receiver.url, {}, '{}', 2_000), { ok: true, status: 204 });
      assert.equal(receiver.received.length, 1);
    } finally {
      await open.close();
    }
  });
});

describe('a server in production', () => {
  let server: TestServer;
  let receiver: Receiver;
  before(async () => {
    server = await startTestServer({ ...WEBHOOK_ENV, NODE_ENV: 'production', MFA_REQUIRED_ROLES: 'none', GRAPHIQL: 'false' });
    receiver = await startReceiver();
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  test('refuses a loopback endpoint, and does not deliver to one that resolves there later', async () => {
    const admin = await signedInAdmin(server);
    const res = await server.gql(OPS.create, { input: { url: receiver.url, eventTypes: ['*'] } }, { token: admin.token });
    assert.equal(res.body.data?.createWebhookEndpoint.__typename, 'ValidationError', JSON.stringify(res.body));
    // A public-looking name whose DNS answer changed to a loopback address since it was added: written directly.
    const em = server.gatehouse.services.orm.em.fork();
    const now = server.clock.now();
    const endpoint = em.create(WebhookEndpoint, {
      url: `https://localhost:${new URL(receiver.url).port}/hooks`,
      eventTypes: ['*'],
      description: null,
      enabled: true,
      secret: server.gatehouse.services.secrets.seal(newSigningSecret()),
      previousSecret: null,
      previousSecretUntil: null,
      createdAt: now,
      updatedAt: now,
    });
    await em.flush();
    await server.gql(REGISTER, { input: { email: 'prod@example.com', password: STRONG_PASSWORD } });
    const [row] = await waitForDeliveries(server, endpoint.id, (rows) => rows[0]?.lastError != null, 'the refused attempt');
    assert.equal(row!.lastError, 'address refused: not a public address');
    assert.equal(row!.status, 'pending');
    assert.equal(receiver.received.length, 0);
  });
});

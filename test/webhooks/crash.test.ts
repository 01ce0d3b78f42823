// The outbox survives crashes: `gatehouse serve` is SIGKILLed again and again while accounts are
// registered and their events delivered. After the last restart every committed registration's
// event reached the receiver at least once (verified with standardwebhooks), a redelivery carries
// the same webhook-id, and no event names an account that does not exist (nothing for a change
// that never committed).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { REGISTER, STRONG_PASSWORD } from '../helpers/server.ts';
import { gql, startInstance, stopInstance, type Instance } from '../helpers/instances.ts';
import { loadConfig } from '../../src/config/index.ts';
import { closeServices, openServices } from '../../src/services.ts';
import { User } from '../../src/accounts/entities.ts';
import { OPS, startReceiver, type Receiver } from './webhook-helpers.ts';

const ADMIN_EMAIL = 'ops.admin@example.com';
const KILLS = 3;
/** Registrations each round commits before its server is killed. */
const PER_ROUND = 8;

describe('webhooks across crashes', () => {
  let dir: string;
  let receiver: Receiver;
  let instance: Instance | undefined;
  const env = () => ({
    DATABASE_URL: join(dir, 'gatehouse.db'),
    SECRETS_KEY: secretsKey,
    ADMIN_EMAIL,
    ADMIN_PASSWORD: STRONG_PASSWORD,
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    ALLOW_REGISTRATION_BEFORE_SETUP: 'true',
    WEBHOOK_POLL_INTERVAL: '20ms',
    WEBHOOK_TIMEOUT: '2s',
    // The instance helper reads the URL from the `listening` info line.
    LOG_LEVEL: 'info',
  });
  const secretsKey = randomBytes(32).toString('base64');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-webhook-crash-'));
    receiver = await startReceiver();
    // Slow enough that deliveries are in flight when the server dies; some fail and are retried.
    receiver.answer = () => (Math.random() < 0.1 ? 500 : 200);
  });
  after(async () => {
    await stopInstance(instance);
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every committed registration is delivered at least once, with a stable id, after repeated SIGKILLs', async () => {
    instance = await startInstance('crash-0', dir, env());
    const login = await gql(instance, `mutation($e: String!, $p: String!) { login(input: { email: $e, password: $p }) { ... on CreatedSession { token } } }`, { e: ADMIN_EMAIL, p: STRONG_PASSWORD });
    const token = login.data.login.token as string;
    const created = await gql(instance, OPS.create, { input: { url: receiver.url, eventTypes: ['user.created'] } }, token);
    receiver.secrets.push(created.data.createWebhookEndpoint.secret);

    const committed = new Set<string>();
    let n = 0;
    for (let round = 0; round <= KILLS; round++) {
      const current = instance!;
      const before = committed.size;
      let running = true;
      // Four clients register as fast as the server answers; a request cut by the kill has an unknown outcome.
      const clients = Array.from({ length: 4 }, async () => {
        while (running) {
          const email = `crash${++n}@example.com`;
          try {
            const res = await gql(current, REGISTER, { input: { email, password: STRONG_PASSWORD } });
            if (res.data?.register?.__typename === 'AccountStatus') committed.add(email);
          } catch {
            // The connection died with the server: committed or not, the check below reads the database.
            return;
          }
        }
      });
      // However busy the machine, each round commits some registrations, then dies at a random moment.
      const deadline = Date.now() + 60_000;
      while (committed.size - before < PER_ROUND && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(committed.size - before >= PER_ROUND, `round ${round} committed ${committed.size - before} registrations`);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 500));
      if (round < KILLS) {
        const exited = once(current.child, 'exit');
        current.child.kill('SIGKILL');
        await exited;
        running = false;
        await Promise.all(clients);
        instance = await startInstance(`crash-${round + 1}`, dir, env());
      } else {
        running = false;
        await Promise.all(clients);
      }
    }

    // Every account in the database, whether or not its client saw the answer, must be delivered.
    const services = await openServices(loadConfig({ ...env(), LOG_LEVEL: 'silent' }));
    let stored: string[];
    try {
      stored = (await services.orm.em.fork().find(User, { email: { $like: 'crash%@example.com' } })).map((u) => u.email);
    } finally {
      await closeServices(services);
    }
    for (const email of committed) assert.ok(stored.includes(email), `${email} was answered as committed`);

    const deadline = Date.now() + 60_000;
    const delivered = () => new Set(receiver.received.filter((r) => r.verified).map((r) => r.verified!.data.user.email as string));
    while (stored.some((email) => !delivered().has(email))) {
      if (Date.now() > deadline) assert.fail(`not delivered: ${stored.filter((email) => !delivered().has(email)).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    assert.ok(receiver.received.every((r) => r.verified), 'every request verifies with standardwebhooks');
    const idsByEmail = new Map<string, Set<string>>();
    for (const r of receiver.received) {
      const email = r.verified!.data.user.email as string;
      assert.ok(stored.includes(email), `no event for an account that does not exist (${email})`);
      idsByEmail.set(email, (idsByEmail.get(email) ?? new Set()).add(r.headers['webhook-id'] as string));
    }
    for (const [email, ids] of idsByEmail) assert.equal(ids.size, 1, `${email}: one webhook-id across redeliveries`);
    const duplicates = receiver.received.length - idsByEmail.size;
    process.stdout.write(`# ${stored.length} accounts, ${receiver.received.length} requests received, ${duplicates} redeliveries (failed attempts or crashes), ${KILLS} SIGKILLs\n`);
  });
});

// `gatehouse webhook …` run as a subprocess against the database of a running server, which
// delivers what the command line set up. (An SQLite file: the command and the server share it and
// the secrets key beside it.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runGatehouse } from '../helpers/cli.ts';
import { REGISTER, STRONG_PASSWORD, startTestServer, type TestServer } from '../helpers/server.ts';
import { WebhookEndpoint } from '../../src/webhooks/entities.ts';
import { AuditEvent } from '../../src/audit/entities.ts';
import { startReceiver, waitForDeliveries, WEBHOOK_ENV, type Receiver } from './webhook-helpers.ts';

describe('gatehouse webhook', () => {
  let server: TestServer;
  let receiver: Receiver;
  let database: string;
  const gatehouse = (args: string[]) => runGatehouse(['webhook', ...args], { cwd: server.dir, databasePath: database, keepSqlite: true });
  const endpoints = () => server.gatehouse.services.orm.em.fork().find(WebhookEndpoint, {});

  before(async () => {
    server = await startTestServer(WEBHOOK_ENV, {}, { keepSqlite: true });
    database = join(server.dir, 'gatehouse.db');
    receiver = await startReceiver();
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  test('add prints the secret once; the running server delivers with it; list, deliveries, rotate, replay, remove', async () => {
    const added = await gatehouse(['add', receiver.url, '--events', 'user.created', '--description', 'from the CLI']);
    assert.equal(added.code, 0, added.stderr);
    const secret = /Signing secret .*: (whsec_\S+)/.exec(added.stdout)?.[1];
    const id = /Endpoint ([0-9a-f-]{36})/.exec(added.stdout)?.[1];
    assert.ok(secret && id, added.stdout);
    receiver.secrets.push(secret);
    const audit = await server.gatehouse.services.orm.em.fork().find(AuditEvent, { action: 'webhook.create', targetId: id });
    assert.equal(audit[0]?.actorType, 'cli');

    await server.gql(REGISTER, { input: { email: 'cli-hook@example.com', password: STRONG_PASSWORD } });
    const [received] = await receiver.waitFor(1);
    assert.equal(received!.verified?.type, 'user.created');
    await waitForDeliveries(server, id, (rows) => rows[0]?.status === 'succeeded', 'success');

    const list = await gatehouse(['list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    const [listed] = JSON.parse(list.stdout);
    assert.deepEqual([listed.id, listed.url, listed.eventTypes, listed.enabled], [id, receiver.url, ['user.created'], true]);
    assert.ok(!list.stdout.includes(secret), 'list never shows a secret');

    const deliveries = await gatehouse(['deliveries', id, '--json']);
    assert.equal(deliveries.code, 0, deliveries.stderr);
    const [delivery] = JSON.parse(deliveries.stdout);
    assert.deepEqual([delivery.status, delivery.attempts, delivery.lastResponseStatus, delivery.eventId], ['succeeded', 1, 204, received!.headers['webhook-id']]);

    const replay = await gatehouse(['replay', String(delivery.id)]);
    assert.equal(replay.code, 0, replay.stderr);
    // Due at the command's (real) time: the server's ManualClock catches up with it.
    server.clock.advance(5 * 60_000);
    const [, again] = await receiver.waitFor(2);
    assert.equal(again!.headers['webhook-id'], received!.headers['webhook-id']);

    const rotated = await gatehouse(['rotate', id, '--overlap-hours', '0']);
    assert.equal(rotated.code, 0, rotated.stderr);
    const newSecret = /Signing secret .*: (whsec_\S+)/.exec(rotated.stdout)?.[1];
    assert.ok(newSecret && newSecret !== secret);
    assert.match(rotated.stdout, /no longer signs/);

    const removed = await gatehouse(['remove', id]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal((await endpoints()).length, 0);
  });

  test('bad input fails with a clear message and changes nothing', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['add', 'http://example.com/hook', '--events', '*'], 1, /url: Use an https:\/\/ URL/],
      [['add', 'https://example.com/hook', '--events', 'user.nope'], 1, /eventTypes: Unknown event type: user\.nope/],
      [['add', 'https://example.com/hook'], 2, /needs --events/],
      [['rotate', '00000000-0000-0000-0000-000000000000'], 1, /Webhook endpoint not found/],
      [['rotate', 'x', '--overlap-hours', 'soon'], 2, /--overlap-hours must be a whole number/],
      [['remove', 'missing'], 1, /Webhook endpoint not found/],
      [['replay', 'abc'], 2, /A delivery id is a number/],
      [['replay', '424242'], 1, /Webhook delivery not found/],
      [['frobnicate'], 2, /Unknown webhook command "frobnicate"/],
    ];
    for (const [args, code, message] of cases) {
      const run = await gatehouse(args);
      assert.equal(run.code, code, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message, args.join(' '));
    }
    assert.equal((await endpoints()).length, 0);
  });
});

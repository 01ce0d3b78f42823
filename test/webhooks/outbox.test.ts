// The outbox: an event exists exactly when its change committed. A fault injected after the outbox
// write (through the audit listener port the webhooks use themselves) rolls back change and event.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, REGISTER, STRONG_PASSWORD, startTestServer, type TestServer } from '../helpers/server.ts';
import { User } from '../../src/accounts/entities.ts';
import { AuditEvent } from '../../src/audit/entities.ts';
import { WebhookEvent } from '../../src/webhooks/entities.ts';
import type { AuditListener } from '../../src/audit/service.ts';
import { addEndpoint, OPS, signedInAdmin, startReceiver, WEBHOOK_ENV, type Receiver } from './webhook-helpers.ts';

describe('transactional outbox', () => {
  let server: TestServer;
  let admin: { token: string; userId: string };
  let receiver: Receiver;

  before(async () => {
    server = await startTestServer(WEBHOOK_ENV);
    admin = await signedInAdmin(server);
    receiver = await startReceiver();
    await addEndpoint(server, admin.token, receiver);
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  const em = () => server.gatehouse.services.orm.em.fork();
  const eventsOfType = (type: string) => em().find(WebhookEvent, { type });

  /** Fails the change whose audit action is `action`, after the webhook outbox wrote its rows. */
  async function failingAfterOutbox<T>(action: string, change: () => Promise<T>): Promise<T> {
    const listeners = server.gatehouse.services.auditListeners;
    const fault: AuditListener = {
      wants: (name) => name === action,
      onRecorded: async () => {
        throw new Error('injected fault after the outbox write');
      },
    };
    listeners.push(fault);
    try {
      return await change();
    } finally {
      listeners.splice(listeners.indexOf(fault), 1);
    }
  }

  test('a registration that rolls back leaves neither the account nor its event', async () => {
    const before = (await eventsOfType('user.created')).length;
    const res = await failingAfterOutbox('account.register', () => server.gql(REGISTER, { input: { email: 'ghost@example.com', password: STRONG_PASSWORD } }));
    assert.equal(res.body.data?.register ?? null, null, 'the request failed');
    assert.equal(await em().count(User, { email: 'ghost@example.com' }), 0);
    assert.equal((await eventsOfType('user.created')).length, before);
    assert.equal(await em().count(AuditEvent, { action: 'account.register', actorEmail: 'ghost@example.com' }), 0);
    // The same registration without the fault commits both.
    const ok = await server.gql(REGISTER, { input: { email: 'ghost@example.com', password: STRONG_PASSWORD } });
    assert.equal(ok.body.data.register.__typename, 'AccountStatus');
    assert.equal((await eventsOfType('user.created')).length, before + 1);
  });

  test('a confirmation that rolls back leaves the address unconfirmed, the link usable, and no event', async () => {
    await server.gql(REGISTER, { input: { email: 'confirm@example.com', password: STRONG_PASSWORD } });
    const mail = await server.mail.waitFor('confirm@example.com', /Confirm/);
    const token = /token=([A-Za-z0-9_-]+)/.exec(mail.text ?? '')?.[1];
    assert.ok(token);
    const confirm = `mutation($t: String!) { confirmEmail(input: { token: $t }) { __typename } }`;
    const failed = await failingAfterOutbox('account.confirm_email', () => server.gql(confirm, { t: token }));
    assert.equal(failed.body.data?.confirmEmail ?? null, null);
    assert.equal((await em().findOneOrFail(User, { email: 'confirm@example.com' })).emailConfirmedAt, null);
    assert.equal((await eventsOfType('user.email_confirmed')).length, 0);
    const ok = await server.gql(confirm, { t: token });
    assert.ok(ok.body.data.confirmEmail.__typename, JSON.stringify(ok.body));
    assert.equal((await eventsOfType('user.email_confirmed')).length, 1);
  });

  test('an admin deletion or disabling that rolls back keeps the user and sends nothing', async () => {
    const { userId } = await createConfirmedUser(server, 'kept@example.com');
    await failingAfterOutbox('user.delete', () => server.gql(`mutation { deleteUser(input: { id: "${userId}" }) { __typename } }`, {}, { token: admin.token }));
    assert.equal(await em().count(User, { id: userId }), 1);
    assert.equal((await eventsOfType('user.deleted')).length, 0);
    await failingAfterOutbox('user.disable', () => server.gql(`mutation { updateUser(input: { id: "${userId}", disabled: true }) { __typename } }`, {}, { token: admin.token }));
    assert.equal((await em().findOneOrFail(User, { id: userId })).disabled, false);
    assert.equal((await eventsOfType('user.disabled')).length, 0);
    const disabled = await server.gql(`mutation { updateUser(input: { id: "${userId}", disabled: true }) { __typename } }`, {}, { token: admin.token });
    assert.equal(disabled.body.data.updateUser.__typename, 'User');
    const [event] = await eventsOfType('user.disabled');
    assert.equal(JSON.parse(event!.payload).data.user.id, userId);
  });

  test('actions that are not public events write nothing to the outbox', async () => {
    const before = await em().count(WebhookEvent, {});
    const res = await server.gql(OPS.list, {}, { token: admin.token });
    assert.ok(res.body.data.webhookEndpoints.length);
    // A login is audited (auth.login) but is no webhook event.
    await createConfirmedUser(server, 'login-only@example.com');
    assert.equal(await em().count(WebhookEvent, {}), before + 2, 'only user.created and user.email_confirmed');
  });
});

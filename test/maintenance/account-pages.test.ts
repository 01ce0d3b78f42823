// The account pages email links open (/auth/confirm-email, /auth/reset-password, the email-change
// pages) write anonymously: during maintenance their writes are refused with a 503 page carrying
// the maintenance message, as the mutations doing the same are, and nothing changes; the links
// still work once maintenance is off.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, REGISTER, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { linkIn } from '../helpers/smtp.ts';
import { User } from '../../src/accounts/entities.ts';
import { loginOutcome, mailsTo } from '../accounts/account-helpers.ts';
import { createAdmin, setMaintenance } from './maintenance-helpers.ts';

const NEW_PASSWORD = 'purple elephant juggles seven lanterns';
const MESSAGE = 'Moving to a new database';

async function lastLink(server: TestServer, email: string, subject: RegExp): Promise<URL> {
  const mails = await mailsTo(server, email, subject);
  assert.ok(mails.length > 0, `a mail to ${email} matching ${subject}`);
  return linkIn(mails.at(-1)!);
}

/** Posts a page's form the way its button does. */
async function submit(link: URL, fields: Record<string, string> = {}): Promise<{ status: number; html: string }> {
  const res = await fetch(new URL(link.pathname, link.origin), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: link.searchParams.get('token')!, ...fields }).toString(),
  });
  return { status: res.status, html: await res.text() };
}

async function userRow(server: TestServer, email: string) {
  return server.gatehouse.services.orm.em.fork().findOne(User, { emailKey: email });
}

describe('account pages during maintenance', () => {
  let server: TestServer;
  let admin: { token: string };
  before(async () => {
    server = await startTestServer();
    admin = await createAdmin(server, 'admin@pages.test');
  });
  after(() => server.close());

  test('confirm-email, reset-password and the email-change pages refuse their writes (503, the message) and change nothing', async () => {
    // An unconfirmed account (its confirmation link), a reset link, and an email-change link.
    const registered = await server.gql(REGISTER, { input: { email: 'new@pages.test', password: STRONG_PASSWORD } });
    assert.equal(registered.body.data?.register.__typename, 'AccountStatus', JSON.stringify(registered.body));
    const confirmLink = await lastLink(server, 'new@pages.test', /Confirm/);
    await createConfirmedUser(server, 'reset@pages.test');
    const reset = await server.gql(`mutation { requestPasswordReset(input: { email: "reset@pages.test" }) { __typename } }`);
    assert.equal(reset.body.data?.requestPasswordReset.__typename, 'RequestAccepted');
    const resetLink = await lastLink(server, 'reset@pages.test', /Reset your password/);
    const mover = await createConfirmedUser(server, 'mover@pages.test');
    const change = await server.gql(`mutation { requestEmailChange(input: { newEmail: "moved@pages.test" }) { __typename } }`, {}, { token: mover.token });
    assert.equal(change.body.data?.requestEmailChange.__typename, 'RequestAccepted', JSON.stringify(change.body));
    const changeLink = await lastLink(server, 'moved@pages.test', /Confirm your new email address/);
    const cancelLink = await lastLink(server, 'mover@pages.test', /change of your email address was requested/);

    await setMaintenance(server, admin.token, { enabled: true, message: MESSAGE });
    try {
      const confirmed = await fetch(confirmLink);
      assert.equal(confirmed.status, 503);
      assert.match(await confirmed.text(), new RegExp(MESSAGE));
      // The forms still show; what they post is refused.
      assert.equal((await fetch(resetLink)).status, 200);
      for (const [link, fields] of [[resetLink, { newPassword: NEW_PASSWORD }], [changeLink, {}], [cancelLink, {}]] as const) {
        assert.equal((await fetch(link)).status, 200, link.pathname);
        const refused = await submit(link, fields);
        assert.equal(refused.status, 503, `${link.pathname}: ${refused.html}`);
        assert.match(refused.html, new RegExp(MESSAGE));
      }
      assert.equal((await userRow(server, 'new@pages.test'))?.emailConfirmedAt ?? null, null, 'still unconfirmed');
      assert.equal(await loginOutcome(server, 'reset@pages.test'), 'CreatedSession', 'the old password still signs in');
      assert.equal((await userRow(server, 'mover@pages.test'))?.email, 'mover@pages.test', 'the address did not change');
    } finally {
      await setMaintenance(server, admin.token, { enabled: false });
    }

    // Nothing was used up: each link works now.
    assert.equal((await fetch(confirmLink)).status, 200);
    assert.ok((await userRow(server, 'new@pages.test'))?.emailConfirmedAt);
    assert.equal((await submit(resetLink, { newPassword: NEW_PASSWORD })).status, 200);
    assert.equal(await loginOutcome(server, 'reset@pages.test', NEW_PASSWORD), 'CreatedSession');
    assert.equal((await submit(changeLink)).status, 200);
    assert.equal((await userRow(server, 'mover@pages.test')), null);
    assert.equal((await userRow(server, 'moved@pages.test'))?.email, 'moved@pages.test');
  });
});

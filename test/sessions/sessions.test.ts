// Login sessions end to end: bearer token and cookie, listing, revocation, logout, bad credentials,
// idle and absolute expiry, and the once-a-minute lastSeenAt write.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Session } from '../../src/sessions/entities.ts';
import { createConfirmedUser, errorCodes, login, startTestServer, STRONG_PASSWORD, type GqlResponse, type TestServer, answeredNothing } from '../helpers/server.ts';

const DAY = 24 * 3600_000;
const COOKIE_NAME = 'gatehouse_session';

const VIEWER = `{ viewer { id email } }`;
const SESSIONS = `{ viewer { sessions { id current ipAddress userAgent createdAt lastSeenAt expiresAt } } }`;
const REVOKE = `mutation($id: ID!) { revokeSession(input: { id: $id }) { ... on RevokedSession { id } } }`;
const LOGOUT = `mutation { logout { ... on RevokedSessions { count } } }`;

interface SessionView {
  id: string;
  current: boolean;
  ipAddress: string | null;
  userAgent: string | null;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

/** The Set-Cookie for the session cookie in a response, parsed into its value and attributes. */
function sessionSetCookie(res: GqlResponse) {
  const raw = res.headers.getSetCookie().find((c) => c.startsWith(`${COOKIE_NAME}=`));
  if (!raw) return null;
  const [pair, ...attrs] = raw.split(';').map((s) => s.trim());
  const attributes = new Map(
    attrs.map((a) => {
      const eq = a.indexOf('=');
      return eq < 0 ? [a.toLowerCase(), ''] : [a.slice(0, eq).toLowerCase(), a.slice(eq + 1)];
    }),
  );
  return { raw, value: decodeURIComponent(pair!.slice(COOKIE_NAME.length + 1)), attributes };
}

async function sessionsOf(server: TestServer, token: string): Promise<SessionView[]> {
  const res = await server.gql(SESSIONS, {}, { token });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.errors, undefined);
  return res.body.data.viewer.sessions;
}

async function assertRejected(server: TestServer, token: string): Promise<GqlResponse> {
  const res = await server.gql(VIEWER, {}, { token });
  assert.equal(res.status, 401, JSON.stringify(res.body));
  assert.deepEqual(errorCodes(res), ['UNAUTHENTICATED']);
  assert.ok(answeredNothing(res));
  return res;
}

async function viewerEmail(server: TestServer, token: string): Promise<string> {
  const res = await server.gql(VIEWER, {}, { token });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.data.viewer.email;
}

describe('sessions', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('login returns a bearer token and an HttpOnly, SameSite=Lax, Path=/ cookie, not Secure over http', async () => {
    await createConfirmedUser(server, 'sess.cookie@example.com');
    const { token, response } = await login(server, 'sess.cookie@example.com');
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(await viewerEmail(server, token), 'sess.cookie@example.com');

    const cookie = sessionSetCookie(response);
    assert.ok(cookie, `no session cookie in ${JSON.stringify(response.headers.getSetCookie())}`);
    assert.equal(cookie.value, token);
    assert.ok(cookie.attributes.has('httponly'), cookie.raw);
    assert.equal(cookie.attributes.get('samesite')?.toLowerCase(), 'lax');
    assert.equal(cookie.attributes.get('path'), '/');
    assert.ok(!cookie.attributes.has('secure'), cookie.raw);
    const expires = Date.parse(cookie.attributes.get('expires') ?? '');
    assert.ok(expires > server.clock.now().getTime(), cookie.raw);
  });

  test('the cookie alone authenticates viewer', async () => {
    const { token } = await createConfirmedUser(server, 'sess.cookieonly@example.com');
    const res = await server.gql(VIEWER, {}, { cookie: `${COOKIE_NAME}=${token}` });
    assert.equal(res.status, 200);
    assert.equal(res.body.data.viewer.email, 'sess.cookieonly@example.com');
  });

  test('each login gives a new token; sessions lists them with exactly one current', async () => {
    const { token: first } = await createConfirmedUser(server, 'sess.list@example.com');
    const { token: second } = await login(server, 'sess.list@example.com', undefined, { headers: { 'user-agent': 'SessionTest/2.0' } });
    const { token: third } = await login(server, 'sess.list@example.com');
    assert.equal(new Set([first, second, third]).size, 3);

    const sessions = await sessionsOf(server, second);
    assert.equal(sessions.length, 3);
    assert.equal(new Set(sessions.map((s) => s.id)).size, 3);
    const current = sessions.filter((s) => s.current);
    assert.equal(current.length, 1);
    assert.equal(current[0]!.userAgent, 'SessionTest/2.0');
    for (const s of sessions) {
      assert.equal(s.ipAddress, '127.0.0.1');
      assert.ok(!Number.isNaN(Date.parse(s.createdAt)) && !Number.isNaN(Date.parse(s.lastSeenAt)));
      assert.ok(Date.parse(s.expiresAt) > server.clock.now().getTime());
      // The public id is not the secret token.
      assert.ok(![first, second, third].includes(s.id));
    }
    // Another session sees a different one as current.
    const fromThird = await sessionsOf(server, third);
    assert.notEqual(fromThird.find((s) => s.current)!.id, current[0]!.id);
  });

  test('revokeSession ends that session at once; its token then gets 401 UNAUTHENTICATED', async () => {
    const { token: keep } = await createConfirmedUser(server, 'sess.revoke@example.com');
    const { token: doomed } = await login(server, 'sess.revoke@example.com');
    const doomedId = (await sessionsOf(server, doomed)).find((s) => s.current)!.id;

    const res = await server.gql(REVOKE, { id: doomedId }, { token: keep });
    assert.deepEqual(res.body, { data: { revokeSession: { id: doomedId } } });
    await assertRejected(server, doomed);
    assert.equal(await viewerEmail(server, keep), 'sess.revoke@example.com');
    assert.deepEqual(
      (await sessionsOf(server, keep)).map((s) => s.id).includes(doomedId),
      false,
    );
  });

  test("revoking another user's session or an unknown id answers NOT_FOUND and changes nothing", async () => {
    const { token: mine } = await createConfirmedUser(server, 'sess.mine@example.com');
    const { token: theirs } = await createConfirmedUser(server, 'sess.theirs@example.com');
    const theirId = (await sessionsOf(server, theirs)).find((s) => s.current)!.id;

    for (const id of [theirId, randomUUID(), 'not-a-session-id']) {
      const res = await server.gql(REVOKE, { id }, { token: mine });
      assert.deepEqual(errorCodes(res), ['NOT_FOUND'], JSON.stringify(res.body));
      assert.ok(answeredNothing(res));
    }
    assert.equal(await viewerEmail(server, theirs), 'sess.theirs@example.com');
    assert.equal(await viewerEmail(server, mine), 'sess.mine@example.com');
  });

  test('revokeSession when anonymous is UNAUTHENTICATED', async () => {
    const res = await server.gql(REVOKE, { id: randomUUID() });
    assert.deepEqual(errorCodes(res), ['UNAUTHENTICATED']);
  });

  test('revokeOtherSessions leaves only the current session', async () => {
    const { token: a } = await createConfirmedUser(server, 'sess.others@example.com');
    const { token: b } = await login(server, 'sess.others@example.com');
    const { token: c } = await login(server, 'sess.others@example.com');
    const { token: other } = await createConfirmedUser(server, 'sess.bystander@example.com');

    const res = await server.gql(`mutation { revokeOtherSessions { ... on RevokedSessions { count } } }`, {}, { token: b });
    assert.deepEqual(res.body, { data: { revokeOtherSessions: { count: 2 } } });
    await assertRejected(server, a);
    await assertRejected(server, c);
    const left = await sessionsOf(server, b);
    assert.equal(left.length, 1);
    assert.equal(left[0]!.current, true);
    // Another user's sessions are untouched.
    assert.equal(await viewerEmail(server, other), 'sess.bystander@example.com');
  });

  test('logout ends the session server-side and clears the cookie', async () => {
    const { token } = await createConfirmedUser(server, 'sess.logout@example.com');
    const cookie = `${COOKIE_NAME}=${token}`;
    const res = await server.gql(LOGOUT, {}, { cookie });
    assert.deepEqual(res.body, { data: { logout: { count: 1 } } });
    const cleared = sessionSetCookie(res);
    assert.ok(cleared, 'logout must send a Set-Cookie for the session cookie');
    assert.equal(cleared.value, '');
    assert.ok(Date.parse(cleared.attributes.get('expires') ?? '') < server.clock.now().getTime(), cleared.raw);
    assert.equal(cleared.attributes.get('path'), '/');

    // The token is dead for bearer use too, and the old cookie is now anonymous.
    await assertRejected(server, token);
    const after = await server.gql(VIEWER, {}, { cookie });
    assert.equal(after.body.data.viewer, null);
  });

  test('logout with a bearer token ends that session only', async () => {
    const { token: other } = await createConfirmedUser(server, 'sess.logoutbearer@example.com');
    const { token } = await login(server, 'sess.logoutbearer@example.com');
    const res = await server.gql(LOGOUT, {}, { token });
    assert.deepEqual(res.body, { data: { logout: { count: 1 } } });
    await assertRejected(server, token);
    assert.equal(await viewerEmail(server, other), 'sess.logoutbearer@example.com');
  });

  test('logout when anonymous returns false', async () => {
    const res = await server.gql(LOGOUT);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { data: { logout: { count: 0 } } });
  });

  test('unknown, malformed or unsupported Authorization answers 401 UNAUTHENTICATED with a clear message', async () => {
    const cases: Array<[string, RegExp]> = [
      [`Bearer ${'A'.repeat(43)}`, /invalid or has expired/],
      ['Bearer short', /invalid or has expired/],
      ['Bearer not a token', /Malformed Authorization header/],
      ['Bearer', /Malformed Authorization header/],
      ['Bearer    ', /Malformed Authorization header/],
      ['Basic dXNlcjpwYXNz', /HTTP Basic accepts the user "__token__"/],
      ['Basic xxx', /Malformed Authorization header/],
      ['Token abc', /Unsupported Authorization scheme/],
      [`Bearer ${'x'.repeat(5000)}`, /invalid or has expired/],
    ];
    for (const [authorization, message] of cases) {
      const res = await server.gql(VIEWER, {}, { headers: { authorization } });
      assert.equal(res.status, 401, `${authorization.slice(0, 30)}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(errorCodes(res), ['UNAUTHENTICATED']);
      assert.match(res.body.errors![0]!.message, message);
      assert.ok(answeredNothing(res));
    }
  });

  test('a stale session cookie is treated as anonymous and cleared', async () => {
    const res = await server.gql(VIEWER, {}, { cookie: `${COOKIE_NAME}=${'s'.repeat(43)}` });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { data: { viewer: null } });
    const cleared = sessionSetCookie(res);
    assert.ok(cleared, 'a stale cookie must be cleared');
    assert.equal(cleared.value, '');
    assert.ok(Date.parse(cleared.attributes.get('expires') ?? '') < server.clock.now().getTime());
  });

  test('a response never carries two Set-Cookie headers for the session cookie', async () => {
    await createConfirmedUser(server, 'sess.onecookie@example.com');
    const stale = `${COOKIE_NAME}=${'s'.repeat(43)}`;
    const sessionCookies = (res: GqlResponse) => res.headers.getSetCookie().filter((c) => c.startsWith(`${COOKIE_NAME}=`));

    const loggedOut = await server.gql(LOGOUT, {}, { cookie: stale });
    assert.deepEqual(loggedOut.body, { data: { logout: { count: 0 } } });
    assert.equal(sessionCookies(loggedOut).length, 1, JSON.stringify(sessionCookies(loggedOut)));
    assert.equal(sessionSetCookie(loggedOut)!.value, '');

    // Signing in over a stale cookie: the new cookie, not a clearing of the old one as well.
    const { token, response } = await login(server, 'sess.onecookie@example.com', undefined, { cookie: stale });
    assert.equal(sessionCookies(response).length, 1, JSON.stringify(sessionCookies(response)));
    assert.equal(sessionSetCookie(response)!.value, token);
  });

  test('a session idle for longer than SESSION_IDLE_TTL (7 d) is rejected', async () => {
    const { token } = await createConfirmedUser(server, 'sess.idle@example.com');
    server.clock.advance(7 * DAY - 60_000);
    assert.equal(await viewerEmail(server, token), 'sess.idle@example.com');
    // Used just now, so the idle window starts again: another 7 days of silence ends it.
    server.clock.advance(7 * DAY + 1000);
    await assertRejected(server, token);
  });

  test('using a session every 6 days keeps it alive past 7 days, until the absolute 30-day TTL', async () => {
    const { token } = await createConfirmedUser(server, 'sess.sliding@example.com');
    const createdAt = server.clock.now().getTime();
    for (let day = 6; day <= 24; day += 6) {
      server.clock.advance(6 * DAY);
      assert.equal(await viewerEmail(server, token), 'sess.sliding@example.com', `day ${day}`);
    }
    const [session] = await sessionsOf(server, token);
    assert.equal(Date.parse(session!.expiresAt), createdAt + 30 * DAY, 'expiry is capped by the absolute TTL');
    server.clock.advance(6 * DAY - 60_000); // day 29.99
    assert.equal(await viewerEmail(server, token), 'sess.sliding@example.com');
    server.clock.advance(60_000); // day 30
    await assertRejected(server, token);
  });

  test('a browser keeps the session cookie while the session slides (cookie expiry is not the 7-day idle expiry)', async () => {
    await createConfirmedUser(server, 'sess.browser@example.com');
    const { response } = await login(server, 'sess.browser@example.com');
    const set = sessionSetCookie(response)!;
    const cookieExpires = Date.parse(set.attributes.get('expires') ?? '');
    const cookie = `${COOKIE_NAME}=${set.value}`;
    for (let day = 6; day <= 24; day += 6) {
      server.clock.advance(6 * DAY);
      // A browser stops sending a cookie once its Expires has passed.
      assert.ok(cookieExpires > server.clock.now().getTime(), `the browser dropped the cookie by day ${day}`);
      const res = await server.gql(VIEWER, {}, { cookie });
      assert.equal(res.body.data.viewer?.email, 'sess.browser@example.com', `day ${day}`);
    }
  });

  test('lastSeenAt is written at most once a minute', async () => {
    const { token } = await createConfirmedUser(server, 'sess.lastseen@example.com');
    const [initial] = await sessionsOf(server, token);
    server.clock.advance(20_000);
    const [second] = await sessionsOf(server, token);
    server.clock.advance(20_000);
    const [third] = await sessionsOf(server, token);
    assert.equal(second!.lastSeenAt, initial!.lastSeenAt);
    assert.equal(third!.lastSeenAt, initial!.lastSeenAt);
    assert.equal(third!.expiresAt, initial!.expiresAt);

    server.clock.advance(21_000); // 61 s after the last write
    const [moved] = await sessionsOf(server, token);
    assert.equal(Date.parse(moved!.lastSeenAt), server.clock.now().getTime());
    assert.ok(Date.parse(moved!.expiresAt) > Date.parse(initial!.expiresAt));
  });

  test('a request never sees an uncommitted change: a session deleted by a transaction that rolls back keeps working', async () => {
    const { token, userId } = await createConfirmedUser(server, 'sess.uncommitted@example.com');
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let deleted!: () => void;
    const didDelete = new Promise<void>((resolve) => (deleted = resolve));
    const transaction = server.gatehouse.services.orm.em
      .fork()
      .transactional(async (tx) => {
        assert.equal(await tx.nativeDelete(Session, { user: userId }), 1);
        deleted();
        await held;
        throw new Error('rolled back');
      })
      .catch((error: Error) => error);
    await didDelete;
    // Made while the deletion is uncommitted (on SQLite it waits for the connection; on PostgreSQL it reads the committed row).
    const request = server.gql(VIEWER, {}, { token });
    await delay(200);
    release();
    assert.match((await transaction).message, /rolled back/);
    const res = await request;
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { data: { viewer: { id: userId, email: 'sess.uncommitted@example.com' } } });
  });

  test("anonymous viewer is null, so nobody else reaches a user's sessions", async () => {
    await createConfirmedUser(server, 'sess.private@example.com');
    const res = await server.gql(SESSIONS);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { data: { viewer: null } });
  });
});

describe('sessions behind an https PUBLIC_URL', () => {
  let server: TestServer;
  before(async () => {
    // Email links would point at the public URL, which does not resolve here: skip confirmation.
    server = await startTestServer({ PUBLIC_URL: 'https://accounts.example.com', REQUIRE_EMAIL_CONFIRMATION: 'false' });
  });
  after(() => server.close());

  test('the session cookie is Secure', async () => {
    const registered = await server.gql(`mutation($input: RegisterInput!) { register(input: $input) { __typename } }`, {
      input: { email: 'sess.secure@example.com', password: STRONG_PASSWORD },
    });
    assert.equal(registered.body.data?.register.__typename, 'AccountStatus');
    const { response } = await login(server, 'sess.secure@example.com');
    const cookie = sessionSetCookie(response);
    assert.ok(cookie);
    assert.ok(cookie.attributes.has('secure'), cookie.raw);
    assert.ok(cookie.attributes.has('httponly'), cookie.raw);
    assert.equal(cookie.attributes.get('samesite')?.toLowerCase(), 'lax');
  });
});

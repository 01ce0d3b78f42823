// CSRF protection for cookie sessions, and the CORS allow-list. A forged cross-site request must
// not run a mutation with the victim's cookie; a listed front end must be able to call the API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, login, startTestServer, type TestServer } from '../helpers/server.ts';

const APP = 'https://app.example';
const EVIL = 'https://evil.example';
const RENAME = (name: string) => `mutation { updateProfile(input: { displayName: "${name}" }) { __typename } }`;

describe('CSRF and CORS', () => {
  let server: TestServer;
  let cookie: string;
  let token: string;

  before(async () => {
    server = await startTestServer({ CORS_ORIGINS: APP });
    await createConfirmedUser(server, 'victim@example.com');
    const session = await login(server, 'victim@example.com');
    const setCookie = session.response.headers.getSetCookie();
    assert.equal(setCookie.length, 1, 'login sets exactly one cookie');
    cookie = setCookie[0]!.split(';')[0]!;
    assert.match(cookie, /^gatehouse_session=.+/);
    token = session.token;
    await server.gql(RENAME('Victim'), {}, { token });
  });
  after(() => server.close());

  /** The display name as the owner sees it, read with the bearer token (no cookie, no CSRF rules). */
  async function displayName(): Promise<string> {
    const res = await server.gql('{ viewer { displayName } }', {}, { token });
    return res.body.data?.viewer.displayName;
  }

  const post = (body: BodyInit, headers: Record<string, string>) =>
    fetch(server.url, { method: 'POST', headers: { accept: 'application/graphql-response+json', ...headers }, body });

  function multipartRename(name: string): FormData {
    const form = new FormData();
    form.set('operations', JSON.stringify({ query: RENAME(name) }));
    return form;
  }

  describe('CSRF with a session cookie', () => {
    test('the cookie alone authenticates a JSON request (the baseline the other tests attack)', async () => {
      const res = await post(JSON.stringify({ query: '{ viewer { email } }' }), { 'content-type': 'application/json', cookie });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).data.viewer.email, 'victim@example.com');
    });

    test('text/plain, form-urlencoded and multipart POSTs without x-gatehouse-csrf → 403, nothing runs', async () => {
      const attempts: Array<[string, BodyInit, Record<string, string>]> = [
        ['text/plain', JSON.stringify({ query: RENAME('Mallory') }), { 'content-type': 'text/plain' }],
        ['form', `query=${encodeURIComponent(RENAME('Mallory'))}`, { 'content-type': 'application/x-www-form-urlencoded' }],
        ['multipart', multipartRename('Mallory'), {}],
      ];
      for (const [kind, body, headers] of attempts) {
        const res = await post(body, { ...headers, cookie });
        assert.equal(res.status, 403, kind);
        const answer = await res.json();
        assert.equal(answer.errors[0].extensions.code, 'FORBIDDEN', kind);
        assert.match(answer.errors[0].message, /x-gatehouse-csrf/, kind);
      }
      assert.equal(await displayName(), 'Victim');
    });

    test('the same requests with x-gatehouse-csrf: 1 are not refused by CSRF', async () => {
      const plain = await post(JSON.stringify({ query: RENAME('Plain') }), { 'content-type': 'text/plain', cookie, 'x-gatehouse-csrf': '1' });
      // Past CSRF, text/plain is simply not a GraphQL request type.
      assert.equal(plain.status, 415);
      const form = await post(`query=${encodeURIComponent(RENAME('Form'))}`, {
        'content-type': 'application/x-www-form-urlencoded',
        cookie,
        'x-gatehouse-csrf': '1',
      });
      assert.equal(form.status, 200, await form.text());
      assert.equal(await displayName(), 'Form');
      const multipart = await post(multipartRename('Multipart'), { cookie, 'x-gatehouse-csrf': '1' });
      assert.equal(multipart.status, 200, await multipart.text());
      assert.equal(await displayName(), 'Multipart');
      await server.gql(RENAME('Victim'), {}, { token });
    });

    test('a cookie request from another origin → 403, even as JSON, even a GET query', async () => {
      const json = await post(JSON.stringify({ query: RENAME('Mallory') }), { 'content-type': 'application/json', cookie, origin: EVIL });
      assert.equal(json.status, 403);
      assert.match((await json.json()).errors[0].message, /origin https:\/\/evil\.example is not allowed/);
      const get = await fetch(`${server.url}?query=${encodeURIComponent('{ viewer { email } }')}`, { headers: { cookie, origin: EVIL } });
      assert.equal(get.status, 403);
      const opaque = await post(JSON.stringify({ query: RENAME('Mallory') }), { 'content-type': 'application/json', cookie, origin: 'null' });
      assert.equal(opaque.status, 403);
      assert.equal(await displayName(), 'Victim');
    });

    test('a cookie request from the server’s own origin, or a listed one, is allowed', async () => {
      const own = await post(JSON.stringify({ query: RENAME('Own') }), { 'content-type': 'application/json', cookie, origin: server.origin });
      assert.equal(own.status, 200, await own.text());
      assert.equal(await displayName(), 'Own');
      const app = await post(JSON.stringify({ query: RENAME('App') }), { 'content-type': 'application/json', cookie, origin: APP });
      assert.equal(app.status, 200);
      assert.equal(await displayName(), 'App');
      await server.gql(RENAME('Victim'), {}, { token });
    });

    test('without a cookie, a cross-origin JSON POST is not refused: it carries no ambient authority', async () => {
      const res = await post(JSON.stringify({ query: '{ viewer { email } validationRules }' }), { 'content-type': 'application/json', origin: EVIL });
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.data.viewer, null);
      assert.ok(body.data.validationRules.length > 0);
      // A bearer token is not ambient: a script that has it may use it from anywhere.
      const bearer = await post(JSON.stringify({ query: '{ viewer { email } }' }), {
        'content-type': 'application/json',
        origin: EVIL,
        authorization: `Bearer ${token}`,
      });
      assert.equal(bearer.status, 200);
      assert.equal((await bearer.json()).data.viewer.email, 'victim@example.com');
    });
  });

  describe('CORS', () => {
    const preflight = (url: string, origin: string) =>
      fetch(url, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-gatehouse-csrf' },
      });

    test('a preflight from a listed origin is allowed, with credentials', async () => {
      const res = await preflight(server.url, APP);
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('access-control-allow-origin'), APP);
      assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
      assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST/);
      assert.match(res.headers.get('access-control-allow-headers') ?? '', /content-type/);
      assert.match(res.headers.get('access-control-allow-headers') ?? '', /x-gatehouse-csrf/);
      assert.match(res.headers.get('vary') ?? '', /Origin/);
    });

    test('the actual response to a listed origin carries its allow-origin too', async () => {
      const res = await post(JSON.stringify({ query: '{ validationRules }' }), { 'content-type': 'application/json', origin: APP });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('access-control-allow-origin'), APP);
      assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    });

    test('another origin gets no allow-origin at all (not its own, not a listed one, not "null")', async () => {
      for (const origin of [EVIL, 'null', `${APP}.evil.example`, 'http://app.example']) {
        const res = await preflight(server.url, origin);
        assert.equal(res.headers.get('access-control-allow-origin'), null, origin);
        assert.equal(res.headers.get('access-control-allow-credentials'), null, origin);
        const actual = await post(JSON.stringify({ query: '{ validationRules }' }), { 'content-type': 'application/json', origin });
        assert.equal(actual.headers.get('access-control-allow-origin'), null, origin);
      }
    });

    test('with several listed origins, each gets its own and an unlisted one gets none (yoga answered "null")', async () => {
      const multi = await startTestServer({ CORS_ORIGINS: `${APP},https://admin.example` });
      try {
        for (const origin of [APP, 'https://admin.example']) {
          assert.equal((await preflight(multi.url, origin)).headers.get('access-control-allow-origin'), origin);
        }
        for (const origin of [EVIL, 'null']) {
          const res = await preflight(multi.url, origin);
          assert.equal(res.headers.get('access-control-allow-origin'), null, origin);
        }
      } finally {
        await multi.close();
      }
    });

    test('with CORS_ORIGINS unset there is no access-control-allow-origin header at all', async () => {
      const closed = await startTestServer();
      try {
        for (const origin of [APP, EVIL, closed.origin]) {
          const pre = await preflight(closed.url, origin);
          assert.equal(pre.headers.get('access-control-allow-origin'), null, origin);
          const res = await fetch(closed.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', origin },
            body: JSON.stringify({ query: '{ validationRules }' }),
          });
          assert.equal(res.status, 200);
          assert.equal(res.headers.get('access-control-allow-origin'), null, origin);
        }
      } finally {
        await closed.close();
      }
    });
  });
});

// Malformed or unusable Authorization headers never reach a 500 and are never treated as
// anonymous: each answers HTTP 401 UNAUTHENTICATED with a message saying what is wrong, on both
// backends. Plus the parser itself (RFC 7617 / RFC 9110 details).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { parseAuthorization } from '../../src/auth/authorization-header.ts';
import { assertUnauthenticated, basicHeader, VIEWER, withAuthorization } from '../tokens/token-helpers.ts';

const b64 = (bytes: string | Uint8Array) => Buffer.from(bytes).toString('base64');
const MALFORMED_BEARER = /Malformed Authorization header: expected "Bearer <token>"/;
const MALFORMED_BASIC = /Malformed Authorization header: expected "Basic base64\(user:password\)"/;
const BAD_TOKEN = /access token is invalid, expired or revoked/;

/** Header → the message expected on the session backend and on the basic backend. */
const CASES: Array<{ name: string; header: string; session: RegExp; basic: RegExp }> = [
  { name: 'Bearer alone', header: 'Bearer', session: MALFORMED_BEARER, basic: /Use HTTP Basic/ },
  { name: 'Basic alone', header: 'Basic', session: MALFORMED_BASIC, basic: MALFORMED_BASIC },
  { name: 'Basic !!!', header: 'Basic !!!', session: MALFORMED_BASIC, basic: MALFORMED_BASIC },
  { name: 'Basic without a colon', header: `Basic ${b64('justauser')}`, session: MALFORMED_BASIC, basic: MALFORMED_BASIC },
  { name: 'Basic of invalid UTF-8', header: `Basic ${b64(new Uint8Array([0xff, 0xfe, 0x3a, 0xc3, 0x28]))}`, session: MALFORMED_BASIC, basic: MALFORMED_BASIC },
  { name: 'Basic without padding', header: 'Basic dXNlcg', session: MALFORMED_BASIC, basic: MALFORMED_BASIC },
  { name: 'Bearer gth_short', header: 'Bearer gth_short', session: /bearer token is invalid/, basic: /Use HTTP Basic/ },
  { name: 'Bearer gth_ of the right shape, unknown', header: `Bearer gth_${'0'.repeat(48)}`, session: BAD_TOKEN, basic: /Use HTTP Basic/ },
  { name: 'Basic __token__ with gth_short', header: basicHeader('__token__', 'gth_short'), session: BAD_TOKEN, basic: BAD_TOKEN },
  { name: 'Basic __token__ with nothing', header: basicHeader('__token__', ''), session: BAD_TOKEN, basic: BAD_TOKEN },
  { name: 'two credentials in one header', header: 'Bearer abc, Basic dXNlcjpwYXNz', session: MALFORMED_BEARER, basic: /Use HTTP Basic/ },
  { name: 'Latin-1 in a Bearer token', header: 'Bearer t\u00f6k\u00e9n', session: MALFORMED_BEARER, basic: /Use HTTP Basic/ },
  { name: '10 KB Bearer token', header: `Bearer ${'x'.repeat(10 * 1024)}`, session: /bearer token is invalid/, basic: /Use HTTP Basic/ },
  { name: '10 KB Basic __token__', header: basicHeader('__token__', `gth_${'a'.repeat(7600)}`), session: BAD_TOKEN, basic: BAD_TOKEN },
  { name: '10 KB of base64 without a colon', header: `Basic ${'A'.repeat(10 * 1024)}`, session: MALFORMED_BASIC, basic: MALFORMED_BASIC },
  { name: '10 KB of an unknown scheme', header: `X${'y'.repeat(10 * 1024)}`, session: /Unsupported Authorization scheme/, basic: /Use HTTP Basic/ },
];

for (const backend of ['session', 'basic'] as const) {
  describe(`malformed Authorization headers (AUTH_BACKEND=${backend})`, () => {
    let server: TestServer;
    const challenge = backend === 'basic' ? 'Basic realm="Gatehouse", charset="UTF-8"' : 'Bearer realm="Gatehouse"';
    before(async () => {
      server = await startTestServer({ AUTH_BACKEND: backend });
    });
    after(() => server.close());

    for (const { name, header, ...expected } of CASES) {
      test(`${name}: 401 UNAUTHENTICATED, never 500`, async () => {
        for (const query of [VIEWER, '{ validationRules }']) {
          const message = assertUnauthenticated(await server.gql(query, {}, withAuthorization(header)), challenge);
          assert.match(message, expected[backend]);
          assert.ok(message.length < 200, 'the message does not echo the header');
        }
      });
    }
  });
}

describe('parseAuthorization', () => {
  test('no header, other schemes', () => {
    assert.deepEqual(parseAuthorization(null), { scheme: 'none' });
    assert.deepEqual(parseAuthorization('Digest username="x"'), { scheme: 'other' });
    assert.deepEqual(parseAuthorization('Bearerabc'), { scheme: 'other' });
  });

  test('Bearer: case-insensitive scheme, token68 characters, surrounding spaces', () => {
    assert.deepEqual(parseAuthorization('Bearer abc.DEF-_~+/=='), { scheme: 'bearer', token: 'abc.DEF-_~+/==' });
    assert.deepEqual(parseAuthorization('bEaReR   gth_1 '), { scheme: 'bearer', token: 'gth_1' });
    assert.equal(parseAuthorization('Bearer a b').scheme, 'malformed-bearer');
    assert.equal(parseAuthorization('Bearer =abc').scheme, 'malformed-bearer');
  });

  test('Basic: the first colon separates user and password; UTF-8 both sides', () => {
    assert.deepEqual(parseAuthorization(basicHeader('__token__', 'a:b:c')), { scheme: 'basic', username: '__token__', password: 'a:b:c' });
    assert.deepEqual(parseAuthorization(basicHeader('jos\u00e9@example.com', 'p\u00e4ss \u2603')), {
      scheme: 'basic',
      username: 'jos\u00e9@example.com',
      password: 'p\u00e4ss \u2603',
    });
    assert.deepEqual(parseAuthorization(basicHeader('', '')), { scheme: 'basic', username: '', password: '' });
    // U+FFFD typed on purpose is a character like any other (only invalid bytes are malformed).
    assert.deepEqual(parseAuthorization(basicHeader('u', 'a\uFFFDb')), { scheme: 'basic', username: 'u', password: 'a\uFFFDb' });
    assert.deepEqual(parseAuthorization(`basic ${b64('u:p')}`), { scheme: 'basic', username: 'u', password: 'p' });
  });

  test('Basic: malformed encodings are reported, not guessed at', () => {
    for (const header of ['Basic', 'Basic ', 'Basic !!!', 'Basic dXNlcg', `Basic ${b64('nocolon')}`, `Basic ${b64(new Uint8Array([0x80, 0x3a]))}`, 'Basic a=bc']) {
      assert.equal(parseAuthorization(header).scheme, 'malformed-basic', header);
    }
  });
});

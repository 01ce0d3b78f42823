// The HTTP layer under hostile or broken clients: every malformed request gets a precise 4xx (never
// a 5xx, never a hang) and changes nothing; unexpected errors are masked; a seeded fuzz loop
// throws random bytes, JSON shapes and headers at /graphql.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { seededRandom } from '../helpers/random.ts';

const JSON_TYPE = 'application/json';
const GRAPHQL_RESPONSE = 'application/graphql-response+json';
/** Every mutation a malformed request carries registers this address; at the end it must still be free. */
const UNTOUCHED = 'untouched@example.com';
const REGISTER_UNTOUCHED = `mutation Register { register(input: { email: "${UNTOUCHED}", password: "correct horse battery staple" }) { __typename } }`;
const SECRET_IN_ERROR = 'SQLITE_ERROR: near "SELEC": syntax error in SELECT password_hash FROM users';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let server: TestServer;
let port: number;
const logLines: Array<Record<string, unknown>> = [];

interface SendOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  /** Stream the body with Transfer-Encoding: chunked instead of a Content-Length. */
  chunked?: boolean;
}

/** Sends a request with node:http, which (unlike fetch) keeps odd paths and any header as given. */
function send(options: SendOptions, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: options.method ?? 'POST', path: options.path ?? '/graphql', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    // Written before end(), a body goes out chunked; given to end(), Node sets its Content-Length.
    if (options.chunked && options.body !== undefined) {
      req.write(options.body);
      req.end();
    } else {
      req.end(options.body);
    }
  });
}

/** A POST with a body whose Content-Length is set (so never chunked). */
function post(body: string | Buffer, headers: Record<string, string> = {}): Promise<RawResponse> {
  return send({
    body,
    headers: { 'content-type': JSON_TYPE, accept: GRAPHQL_RESPONSE, 'content-length': Buffer.byteLength(body), ...headers },
  });
}

/** Writes raw bytes on a socket and returns what came back before the server closed it. */
function rawExchange(bytes: string | Buffer, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`socket not closed within ${timeoutMs} ms`)));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    socket.write(bytes);
  });
}

const statusOf = (raw: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1]);

function json(response: RawResponse): { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } {
  try {
    return JSON.parse(response.body);
  } catch {
    assert.fail(`expected a JSON body, got ${response.status}: ${response.body.slice(0, 200)}`);
  }
}

/** A 4xx with a JSON body whose first error message matches and whose code, if given, matches. */
function assertRefused(response: RawResponse, status: number, message?: RegExp, code?: string): void {
  assert.equal(response.status, status, response.body.slice(0, 300));
  if (!message) return;
  const body = json(response);
  assert.ok(body.errors?.length, response.body);
  assert.equal(body.data, undefined, 'a refused request has no data');
  assert.ok(body.errors.some((e) => message.test(e.message)), `no error matching ${message}: ${response.body.slice(0, 300)}`);
  if (code) assert.ok(body.errors.some((e) => e.extensions?.['code'] === code), `no error with code ${code}: ${response.body.slice(0, 300)}`);
}

describe('HTTP hardening', () => {
  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
        done();
      },
    });
    server = await startTestServer(
      {},
      {
        logger: pino({ level: 'error' }, sink),
        validators: [
          {
            name: 'explodes',
            description: 'Fails like a broken database would.',
            validate() {
              throw new Error(SECRET_IN_ERROR);
            },
          },
        ],
      },
    );
    port = Number(new URL(server.url).port);
  });
  after(() => server.close());

  describe('malformed bodies', () => {
    test('malformed JSON → 400', async () => {
      assertRefused(await post('{"query": "mutation { logout { ... on RevokedSessions { count } } }"'), 400, /invalid JSON/, 'BAD_REQUEST');
    });

    test('JSON that is not an object (array, number, string, null, boolean) → 400', async () => {
      for (const body of ['[]', JSON.stringify([{ query: REGISTER_UNTOUCHED }]), '42', '"{ viewer { id } }"', 'null', 'true']) {
        assertRefused(await post(body), 400, /./, 'BAD_REQUEST');
      }
    });

    test('`query` of the wrong type → 400', async () => {
      for (const query of [42, { query: REGISTER_UNTOUCHED }, [REGISTER_UNTOUCHED], true]) {
        assertRefused(await post(JSON.stringify({ query })), 400, /"query" param to be a string/, 'BAD_REQUEST');
      }
    });

    test('`variables`, `extensions` or `operationName` of the wrong type → 400', async () => {
      assertRefused(await post(JSON.stringify({ query: REGISTER_UNTOUCHED, variables: 'x' })), 400, /variables/, 'BAD_REQUEST');
      assertRefused(await post(JSON.stringify({ query: REGISTER_UNTOUCHED, extensions: [] })), 400, /extensions/, 'BAD_REQUEST');
      assertRefused(await post(JSON.stringify({ query: REGISTER_UNTOUCHED, operationName: 7 })), 400, /operation/);
      assertRefused(await post(JSON.stringify({ query: REGISTER_UNTOUCHED, unexpected: 1 })), 400, /Unexpected parameter/);
    });

    test('an unknown or missing content type → 415', async () => {
      const body = JSON.stringify({ query: REGISTER_UNTOUCHED });
      for (const type of ['text/plain', 'application/xml', 'image/png', 'x']) {
        assertRefused(await post(body, { 'content-type': type }), 415);
      }
      assertRefused(await send({ body, headers: { 'content-length': Buffer.byteLength(body) } }), 415);
    });

    test('an empty body → 400', async () => {
      assertRefused(await post(''), 400, /invalid JSON/, 'BAD_REQUEST');
      assertRefused(await post('', { 'content-type': 'application/graphql' }), 400, /Syntax Error/);
      assertRefused(await post('', { 'content-type': 'application/x-www-form-urlencoded' }), 400, /query string/);
    });

    test('a body over MAX_BODY_BYTES → 413, refused from its Content-Length', async () => {
      const limit = server.gatehouse.config.maxBodyBytes;
      const body = JSON.stringify({ query: REGISTER_UNTOUCHED, variables: { pad: 'x'.repeat(limit) } });
      assertRefused(await post(body), 413, /over \d+ bytes/);
    });

    test('a POST without Content-Length (chunked) → 411, over a raw socket and over http.request', async () => {
      const raw = await rawExchange(
        'POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
          `${Buffer.byteLength(JSON.stringify({ query: REGISTER_UNTOUCHED })).toString(16)}\r\n${JSON.stringify({ query: REGISTER_UNTOUCHED })}\r\n0\r\n\r\n`,
      );
      assert.equal(statusOf(raw), 411, raw);
      assert.match(raw, /Content-Length header is required/);
      const chunked = await send({ body: JSON.stringify({ query: REGISTER_UNTOUCHED }), headers: { 'content-type': JSON_TYPE }, chunked: true });
      assertRefused(chunked, 411, /Content-Length header is required/);
    });

    test('a Content-Length that is not a number, or declared twice, → 400', async () => {
      const bad = await rawExchange('POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: -1\r\nConnection: close\r\n\r\n');
      assert.equal(statusOf(bad), 400, bad);
      const twice = await rawExchange(
        'POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
      );
      assert.equal(statusOf(twice), 400, twice);
    });

    test('invalid UTF-8 bytes in a JSON body → 400 (not silently turned into U+FFFD)', async () => {
      const body = Buffer.concat([
        Buffer.from('{"query":"mutation { login(input: { email: \\"a@example.com\\", password: \\"pass'),
        Buffer.from([0xff, 0xfe, 0xc3]),
        Buffer.from('\\" }) { __typename } }"}'),
      ]);
      assertRefused(await post(body), 400, /not valid UTF-8/, 'BAD_REQUEST');
      const overlong = Buffer.concat([Buffer.from('{"query":"{ validationRules } #'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]);
      assertRefused(await post(overlong), 400, /not valid UTF-8/);
    });

    test('a compressed body → 415 (decompressing would bypass the size limit)', async () => {
      assertRefused(await post(JSON.stringify({ query: REGISTER_UNTOUCHED }), { 'content-encoding': 'gzip' }), 415, /Content-Encoding/);
    });

    test('a query of 1 MB of spaces → 400, quickly', async () => {
      const started = performance.now();
      assertRefused(await post(JSON.stringify({ query: ' '.repeat(1_000_000) })), 400, /Syntax Error/, 'GRAPHQL_PARSE_FAILED');
      assert.ok(performance.now() - started < 2000, 'took over 2 s');
      // The same in a URL is over Node's header size limit. (fetch, because Node answers before the
      // request is fully sent and then resets the connection, which node:http reports as an error.)
      const get = await fetch(`${server.url}?query=${'+'.repeat(1_000_000)}`);
      assert.equal(get.status, 431);
    });
  });

  describe('form and multipart bodies', () => {
    const form = (body: string) => post(body, { 'content-type': 'application/x-www-form-urlencoded' });
    const multipart = (body: string, type = 'multipart/form-data; boundary=XyZ') => post(body, { 'content-type': type });
    const part = (name: string, value: string) => `--XyZ\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;

    test('malformed form-urlencoded bodies → 400', async () => {
      assertRefused(await form('&&&===&%%%'), 400, /query string/, 'BAD_REQUEST');
      assertRefused(await form('query=%zz'), 400, /Syntax Error/);
      assertRefused(await form(`query=${encodeURIComponent(REGISTER_UNTOUCHED)}&variables=%7Bnot-json`), 400, /variables/, 'BAD_REQUEST');
      assertRefused(await form(`query=${encodeURIComponent(REGISTER_UNTOUCHED)}&extensions=%5B`), 400, /extensions/, 'BAD_REQUEST');
      assertRefused(await form(`query=${encodeURIComponent(REGISTER_UNTOUCHED)}&variables=5`), 400, /variables/, 'BAD_REQUEST');
    });

    test('malformed multipart bodies → 400', async () => {
      const operations = JSON.stringify({ query: REGISTER_UNTOUCHED });
      assertRefused(await multipart('--XyZ\r\ngarbage'), 400, /multipart/, 'BAD_REQUEST');
      assertRefused(await multipart('garbage', 'multipart/form-data'), 400, /multipart/, 'BAD_REQUEST');
      assertRefused(await multipart(part('x', '1') + '--XyZ--\r\n'), 400, /Missing multipart form field "operations"/, 'BAD_REQUEST');
      assertRefused(await multipart(part('operations', 'not json') + '--XyZ--\r\n'), 400, /valid JSON/, 'BAD_REQUEST');
      assertRefused(await multipart(part('operations', '5') + '--XyZ--\r\n'), 400, /object/, 'BAD_REQUEST');
      assertRefused(await multipart(part('operations', operations) + part('map', 'nope') + '--XyZ--\r\n'), 400, /map/, 'BAD_REQUEST');
      assertRefused(await multipart(part('operations', operations) + part('map', '{"0": 5}') + '--XyZ--\r\n'), 400, /./, 'BAD_REQUEST');
      assertRefused(
        await multipart(part('operations', operations), `multipart/form-data; boundary=${'b'.repeat(300)}`),
        400,
        /multipart/,
        'BAD_REQUEST',
      );
    });

    test('a multipart map cannot pollute prototypes', async () => {
      const operations = JSON.stringify({ query: '{ validationRules }' });
      const response = await multipart(part('operations', operations) + part('map', '{"0": ["__proto__.polluted"]}') + part('0', 'x') + '--XyZ--\r\n');
      assert.ok(response.status < 500, response.body);
      assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    });
  });

  describe('operations the server will not run', () => {
    test('a mutation over GET → 405', async () => {
      const response = await send({ method: 'GET', path: `/graphql?query=${encodeURIComponent(REGISTER_UNTOUCHED)}`, headers: { accept: GRAPHQL_RESPONSE } });
      assertRefused(response, 405, /mutation operation from a POST request/);
    });

    test('an unknown operationName → 400', async () => {
      assertRefused(await post(JSON.stringify({ query: REGISTER_UNTOUCHED, operationName: 'Other' })), 400, /Could not determine what operation/);
    });

    test('variables of the wrong type → 400 with application/graphql-response+json', async () => {
      const query = 'mutation ($input: RegisterInput!) { register(input: $input) { __typename } }';
      assertRefused(await post(JSON.stringify({ query, variables: { input: 'nope' } })), 400, /\$input/);
      assertRefused(await post(JSON.stringify({ query, variables: { input: { email: UNTOUCHED, password: 42 } } })), 400, /password/);
      assertRefused(await post(JSON.stringify({ query, variables: {} })), 400, /was not provided/);
    });

    test('GET variables that are not JSON → 400', async () => {
      const response = await send({ method: 'GET', path: '/graphql?query=%7BvalidationRules%7D&variables=%7Bnope', headers: { accept: GRAPHQL_RESPONSE } });
      assertRefused(response, 400, /variables/, 'BAD_REQUEST');
    });

    test('a document nested 5,000 levels deep → 400 from the token limit, no stack overflow', async () => {
      const selections = `mutation { register(input: { email: "${UNTOUCHED}", password: "correct horse battery staple" }) ${'{ a '.repeat(5000)}${'}'.repeat(5000)} }`;
      const lists = (n: number) => `{ validate(rule: "email", value: "x", other: ${'['.repeat(n)}${']'.repeat(n)}) { valid } }`;
      const objects = (n: number) => `{ validate(rule: "email", value: "x", other: ${'{a:'.repeat(n)}1${'}'.repeat(n)}) { valid } }`;
      // 1,000 nested lists are fewer than 2,000 tokens yet overflowed graphql-js's parser: the
      // nesting limit, not the token limit, is what stops these.
      for (const query of [selections, lists(5000), objects(5000), lists(1000), objects(700)]) {
        assertRefused(await post(JSON.stringify({ query })), 400, /nested more than \d+ levels/, 'GRAPHQL_PARSE_FAILED');
      }
      const wide = `{ ${Array.from({ length: 2500 }, () => '__typename').join(' ')} }`;
      assertRefused(await post(JSON.stringify({ query: wide })), 400, /Token limit of \d+ exceeded/, 'GRAPHQL_PARSE_FAILED');
      // Brackets inside strings and comments are not nesting.
      const quoted = `{ validate(rule: "email", value: "${'['.repeat(500)}") { valid } } # ${'{'.repeat(500)}`;
      assert.equal((await post(JSON.stringify({ query: quoted }))).status, 200);
    });

    test('31 aliases → 400 (30 is the limit, and 30 are fine)', async () => {
      const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: validationRules`).join(' ')} }`;
      assertRefused(await post(JSON.stringify({ query: aliases(31) })), 400, /Aliases limit of 30 exceeded/, 'GRAPHQL_VALIDATION_FAILED');
      const many = Array.from({ length: 31 }, (_, i) => `r${i}: register(input: { email: "${UNTOUCHED}", password: "correct horse battery staple" }) { __typename }`);
      assertRefused(await post(JSON.stringify({ query: `mutation { ${many.join(' ')} }` })), 400, /Aliases limit/);
      const ok = await post(JSON.stringify({ query: aliases(30) }));
      assert.equal(ok.status, 200, ok.body);
    });

    test('a document refused by a limit is refused again from the validation cache, and a fine one still runs', async () => {
      const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: validationRules`).join(' ')} }`;
      for (let i = 0; i < 3; i++) {
        assertRefused(await post(JSON.stringify({ query: aliases(31) })), 400, /Aliases limit of 30 exceeded/, 'GRAPHQL_VALIDATION_FAILED');
        const unknown = await post(JSON.stringify({ query: '{ validationRulez }' }));
        assertRefused(unknown, 400, /Cannot query field "validationRulez"/, 'GRAPHQL_VALIDATION_FAILED');
        assert.equal((await post(JSON.stringify({ query: aliases(30) }))).status, 200);
      }
    });

    test('a selection deeper than the maximum depth → 400', async () => {
      const deep = `{ viewer ${'{ sessions '.repeat(12)}{ id }${'}'.repeat(13)}`;
      assertRefused(await post(JSON.stringify({ query: deep })), 400, /depth limit of 10 exceeded/, 'GRAPHQL_VALIDATION_FAILED');
    });

    test('too many directives → 400', async () => {
      const query = `{ validationRules ${'@skip(if: false) '.repeat(25)}}`;
      assertRefused(await post(JSON.stringify({ query })), 400, /Directives limit/);
    });

    test('limit violations are 200 only for legacy application/json clients, as the GraphQL-over-HTTP spec says', async () => {
      const aliases = `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: validationRules`).join(' ')} }`;
      const legacy = await post(JSON.stringify({ query: aliases }), { accept: 'application/json' });
      assert.equal(legacy.status, 200);
      assert.match(json(legacy).errors?.[0]?.message ?? '', /Aliases limit/);
    });
  });

  describe('paths, methods and hosts', () => {
    test('odd paths → 404 JSON', async () => {
      for (const path of ['//graphql', '/graphql/../x', '/%zz', '/graphql/', '/GRAPHQL', '/graphql%00', '/nope']) {
        const response = await send({ method: 'GET', path });
        assert.equal(response.status, 404, `${path}: ${response.status}`);
        assert.deepEqual(json(response), { error: 'Not found.' });
        assert.match(String(response.headers['content-type']), /^application\/json/);
      }
    });

    test('PUT, DELETE, PATCH, HEAD and OPTIONS on /graphql → 405', async () => {
      const body = JSON.stringify({ query: REGISTER_UNTOUCHED });
      for (const method of ['PUT', 'DELETE', 'PATCH']) {
        const response = await send({ method, body, headers: { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body) } });
        assertRefused(response, 405, /only supports GET and POST/);
      }
      assert.equal((await send({ method: 'HEAD' })).status, 405);
      // Without CORS_ORIGINS there is no preflight to answer.
      assert.equal((await send({ method: 'OPTIONS' })).status, 405);
    });

    test('an invalid Host header → 400, not a 500 with a stack trace', async () => {
      for (const host of ['exa mple', '[::1', '%zz', 'a/b?c', 'user@evil', 'localhost:99999', '']) {
        const raw = await rawExchange(`GET /graphql?query=%7BvalidationRules%7D HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
        assert.equal(statusOf(raw), 400, `Host "${host}": ${raw.slice(0, 200)}`);
        assert.doesNotMatch(raw, /\n\s+at |TypeError/);
      }
      const fine = await rawExchange(`GET /graphql?query=%7BvalidationRules%7D HTTP/1.1\r\nHost: gatehouse_app:4000\r\nConnection: close\r\n\r\n`);
      assert.equal(statusOf(fine), 200, fine);
    });

    test('a client that sends half its body and goes away does not break the server', async () => {
      const socket = connect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write('POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"query":');
      await new Promise((resolve) => setTimeout(resolve, 50));
      socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal((await send({ method: 'GET', path: '/health' })).status, 200);
      assert.deepEqual(
        logLines.filter((l) => l['msg'] === 'unhandled HTTP error'),
        [],
      );
    });
  });

  describe('errors and operations endpoints', () => {
    test('an unexpected resolver error is masked: no stack, no SQL, INTERNAL_SERVER_ERROR, x-request-id, logged', async () => {
      const response = await post(JSON.stringify({ query: '{ validate(rule: "explodes", value: "x") { valid } }' }));
      assert.ok(response.status < 500 || response.status === 500, `${response.status}`);
      const body = json(response);
      assert.equal(body.errors?.length, 1);
      assert.equal(body.errors[0]!.message, 'Unexpected error.');
      assert.equal(body.errors[0]!.extensions?.['code'], 'INTERNAL_SERVER_ERROR');
      for (const leak of ['SQLITE', 'SELECT', 'password_hash', 'stack', '.ts:', '    at ']) {
        assert.ok(!response.body.includes(leak), `response contains "${leak}": ${response.body}`);
      }
      const requestId = response.headers['x-request-id'];
      assert.match(String(requestId), /^[0-9a-f-]{36}$/);
      const logged = logLines.find((l) => l['msg'] === 'unexpected error' && l['requestId'] === requestId);
      assert.ok(logged, `no "unexpected error" log line with requestId ${requestId}`);
      assert.match(JSON.stringify(logged['err']), /SQLITE_ERROR/);
    });

    test('a client-chosen x-request-id is echoed when well-formed, replaced when not', async () => {
      const mine = await send({ method: 'GET', path: '/health', headers: { 'x-request-id': 'client-trace-0001' } });
      assert.equal(mine.headers['x-request-id'], 'client-trace-0001');
      const hostile = await send({ method: 'GET', path: '/health', headers: { 'x-request-id': 'a"b<script>' } });
      assert.match(String(hostile.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    });

    test('GET /health → 200; GET /ready → 200 with database true', async () => {
      const health = await send({ method: 'GET', path: '/health' });
      assert.equal(health.status, 200);
      assert.deepEqual(json(health), { status: 'ok' });
      const ready = await send({ method: 'GET', path: '/ready' });
      assert.equal(ready.status, 200);
      assert.equal((json(ready) as { database?: boolean }).database, true);
    });

    test('GraphiQL is served as HTML that loads nothing from another host', async () => {
      const response = await fetch(server.url, { headers: { accept: 'text/html' } });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
      const html = await response.text();
      assert.match(html, /<html/i);
      assert.doesNotMatch(html, /unpkg|jsdelivr/i);
      // "cdn" occurs inside inlined base64 data, so look for it as part of a URL's host.
      assert.doesNotMatch(html, /(?:https?:)?\/\/[\w.-]*cdn[\w.-]*\//i);
      assert.doesNotMatch(html, /<script[^>]*\bsrc\s*=\s*["']?(?:https?:)?\/\//i);
      assert.doesNotMatch(html, /<link[^>]*\bhref\s*=\s*["']?(?:https?:)?\/\//i);
      assert.doesNotMatch(html, /@import\s+(?:url\()?["']?(?:https?:)?\/\//i);
      assert.doesNotMatch(html, /import\(\s*["'`](?:https?:)?\/\//i);
    });
  });

  describe('fuzz', () => {
    test('300 random requests to /graphql: never a 5xx, and the server still answers', async () => {
      const seed = Number(process.env.FUZZ_SEED ?? 0x6a7e5eed);
      const random = seededRandom(seed);
      const failures: string[] = [];
      for (let i = 0; i < 300; i++) {
        const input = randomRequest(random);
        let outcome: string;
        try {
          const response = await send({ ...input, path: input.path }, 5000);
          if (response.status < 500) continue;
          outcome = `${response.status} ${response.body.slice(0, 200)}`;
        } catch (error) {
          // A reset connection is how Node refuses some malformed requests; a timeout is a hang.
          if ((error as NodeJS.ErrnoException).code === 'ECONNRESET' || (error as NodeJS.ErrnoException).code === 'EPIPE') continue;
          outcome = String(error);
        }
        failures.push(`#${i}: ${outcome}\n  ${JSON.stringify(input).slice(0, 400)}`);
      }
      assert.deepEqual(failures, [], `FUZZ_SEED=${seed} reproduces:\n${failures.join('\n')}`);
      assert.equal((await send({ method: 'GET', path: '/health' })).status, 200);
      const still = await server.gql('{ validationRules }');
      assert.equal(still.status, 200);
    });
  });

  test('none of the refused requests changed anything', async () => {
    assert.equal(server.mail.messages.filter((m) => m.to === UNTOUCHED).length, 0);
    const res = await server.gql(REGISTER_UNTOUCHED);
    assert.equal(res.body.data?.register.__typename, 'AccountStatus', JSON.stringify(res.body));
  });
});

// ---- fuzz input generation -------------------------------------------------------------------


type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (random: Random, max: number) => Math.floor(random() * max);

const TOKENS = [
  '{', '}', '(', ')', '[', ']', ':', '$x', '...', '@include(if: true)', '@skip', 'query', 'mutation', 'subscription',
  'fragment F on User', 'on', 'viewer', 'id', 'email', 'sessions', 'validate', 'validationRules', 'validatePassword',
  'login', 'logout', 'register', 'input', '"', '"""', '\\u0000', '#', ',', '!', '=', 'null', '1e999', '-0', '__typename',
  '__schema', '__type(name: "User")', 'a:', 'ÿ', '\u2028', '\ud800',
];
const CONTENT_TYPES = [
  'application/json', 'application/graphql+json', 'application/graphql', 'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=b', 'multipart/form-data', 'text/plain', 'application/json; charset=utf-16',
  'application/json, text/plain', 'APPLICATION/JSON', '', ';;;', 'application/octet-stream',
];
const ACCEPTS = ['application/graphql-response+json', 'application/json', 'text/event-stream', 'multipart/mixed', 'text/html', '*/*', 'image/png', ''];
const HEADER_NAMES = ['cookie', 'authorization', 'origin', 'x-request-id', 'x-gatehouse-csrf', 'graphql-preflight', 'x-forwarded-for', 'user-agent', 'referer', 'x-random'];

function randomText(random: Random, maxLength: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789 -_.:;/=+%"\'{}[]\\@$!?,<>&#ÿé€😀';
  return Array.from({ length: int(random, maxLength) }, () => pick(random, [...alphabet])).join('');
}

function randomHeaderValue(random: Random): string {
  // Visible ASCII only: node:http refuses to send control characters in header values.
  return Array.from({ length: int(random, 60) }, () => String.fromCharCode(32 + int(random, 95))).join('').trim();
}

/** encodeURIComponent throws on a lone surrogate, which the token list contains on purpose. */
const encode = (text: string) => encodeURIComponent(text.toWellFormed());

function randomDocument(random: Random): string {
  return Array.from({ length: 1 + int(random, 40) }, () => pick(random, TOKENS)).join(pick(random, [' ', '', '\n']));
}

function randomJson(random: Random, depth = 0): unknown {
  const kind = int(random, depth > 3 ? 5 : 8);
  switch (kind) {
    case 0: return null;
    case 1: return random() < 0.5;
    case 2: return pick(random, [0, -1, 1e308, 0.5, Number.MAX_SAFE_INTEGER + 2]);
    case 3: return randomText(random, 30);
    case 4: return randomDocument(random);
    case 5: return Array.from({ length: int(random, 4) }, () => randomJson(random, depth + 1));
    default: {
      const keys = ['query', 'variables', 'operationName', 'extensions', '__proto__', 'constructor', 'input', randomText(random, 8)];
      return Object.fromEntries(Array.from({ length: int(random, 5) }, () => [pick(random, keys), randomJson(random, depth + 1)]));
    }
  }
}

function randomBody(random: Random): string | Buffer {
  switch (int(random, 5)) {
    case 0: return Buffer.from(Array.from({ length: int(random, 2000) }, () => int(random, 256)));
    case 1: return JSON.stringify(randomJson(random));
    case 2: return JSON.stringify({ query: randomDocument(random), variables: randomJson(random), operationName: random() < 0.3 ? randomText(random, 10) : undefined });
    case 3: return `--b\r\nContent-Disposition: form-data; name="${pick(random, ['operations', 'map', '0', 'x'])}"\r\n\r\n${JSON.stringify(randomJson(random))}\r\n--b${random() < 0.5 ? '--' : ''}\r\n`;
    default: return `query=${encode(randomDocument(random))}&variables=${encode(randomText(random, 20))}`;
  }
}

function randomRequest(random: Random) {
  const method = pick(random, ['POST', 'POST', 'POST', 'GET', 'PUT', 'OPTIONS', 'DELETE', 'PATCH']);
  const headers: Record<string, string | number> = {};
  const type = pick(random, CONTENT_TYPES);
  if (type) headers['content-type'] = type;
  const accept = pick(random, ACCEPTS);
  if (accept) headers['accept'] = accept;
  for (let n = int(random, 4); n > 0; n--) {
    const name = pick(random, HEADER_NAMES);
    headers[name] = name === 'cookie' && random() < 0.5 ? `gatehouse_session=${randomHeaderValue(random)}` : randomHeaderValue(random);
  }
  if (random() < 0.1) headers['host'] = randomHeaderValue(random) || 'x';
  if (method === 'GET') {
    const query = random() < 0.5 ? encode(randomDocument(random)) : randomText(random, 50).replace(/[^\x21-\x7e]/g, '');
    return { method, path: `/graphql?query=${query}&variables=${encode(randomText(random, 10))}`, headers };
  }
  const body = randomBody(random);
  // Mostly a correct Content-Length; sometimes a chunked body (→ 411).
  const chunked = random() < 0.1;
  if (!chunked) headers['content-length'] = Buffer.byteLength(body);
  return { method, path: '/graphql', headers, body, chunked };
}

// Trusted documents (TRUSTED_DOCUMENTS): a client names a manifest document by its SHA-256, an
// unknown hash or a document that is not its hash's is refused, and only admins may send other
// documents (GraphiQL keeps working for them) — over HTTP and over graphql-ws alike. Then the
// start-up errors of a bad manifest.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getIntrospectionQuery } from 'graphql';
import type { Client } from 'graphql-ws';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { createConfirmedUser, errorCodes, LOGIN, REGISTER, startTestServer, type GqlResponse, type RequestOptions, type TestServer } from '../helpers/server.ts';
import { grantRoles } from '../access/access-helpers.ts';
import { liveCodes, sseSubscribe, wsClient, wsSubscribe } from '../maintenance/maintenance-helpers.ts';

const VIEWER = 'query Viewer { viewer { email } }';
const MAINTENANCE_CHANGED = 'subscription MaintenanceChanged { maintenanceModeChanged { enabled } }';
/** Not in the manifest: public, so only the trusted-documents rule can refuse it. */
const ARBITRARY = '{ validationRules }';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const persistedQuery = (text: string) => ({ persistedQuery: { version: 1, sha256Hash: sha256(text) } });

/** A manifest as the codegen client preset writes it: "sha256:<hex>" → document. */
function writeManifest(dir: string, name: string, documents: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(Object.fromEntries(documents.map((d) => [`sha256:${sha256(d)}`, d])), null, 2));
  return file;
}

describe('trusted documents', () => {
  let server: TestServer;
  let manifestDir: string;
  let user: { token: string; userId: string };
  let admin: { token: string; userId: string };
  const clients: Client[] = [];

  /** POSTs a request body as given (with or without `query`). */
  async function post(body: Record<string, unknown>, opts: RequestOptions = {}): Promise<GqlResponse> {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: await res.json() };
  }

  function assertRefused(res: GqlResponse, status: number, code: string): void {
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.deepEqual(errorCodes(res), [code], JSON.stringify(res.body));
    assert.equal(res.body.data ?? undefined, undefined, JSON.stringify(res.body));
  }

  before(async () => {
    manifestDir = mkdtempSync(join(tmpdir(), 'gatehouse-manifest-'));
    // Two manifests, as TRUSTED_DOCUMENTS may list: the app's documents, and the test helpers'
    // register and login (sent whole by createConfirmedUser).
    const app = writeManifest(manifestDir, 'app.json', [VIEWER, MAINTENANCE_CHANGED]);
    const helpers = writeManifest(manifestDir, 'helpers.json', [REGISTER, LOGIN]);
    server = await startTestServer({ TRUSTED_DOCUMENTS: `${app}, ${helpers}` });
    user = await createConfirmedUser(server, 'trusted.user@example.com');
    admin = await createConfirmedUser(server, 'trusted.admin@example.com');
    await grantRoles(server, admin.userId, 'admin');
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await server.close();
    rmSync(manifestDir, { recursive: true, force: true });
  });

  test('a known hash runs its document, for anonymous and signed-in clients, by POST and by GET', async () => {
    const anonymous = await post({ extensions: persistedQuery(VIEWER) });
    assert.equal(anonymous.status, 200);
    assert.deepEqual(anonymous.body, { data: { viewer: null } });

    const signedIn = await post({ extensions: persistedQuery(VIEWER) }, { token: user.token });
    assert.deepEqual(signedIn.body, { data: { viewer: { email: 'trusted.user@example.com' } } });

    // The preset's "sha256:" prefix is accepted too.
    const prefixed = await post({ extensions: { persistedQuery: { version: 1, sha256Hash: `sha256:${sha256(VIEWER)}` } } }, { token: user.token });
    assert.deepEqual(prefixed.body, { data: { viewer: { email: 'trusted.user@example.com' } } });

    // A GET carries no body: the hash alone makes a short, cacheable URL.
    const get = await fetch(`${server.url}?extensions=${encodeURIComponent(JSON.stringify(persistedQuery(VIEWER)))}`, {
      headers: { accept: 'application/json', authorization: `Bearer ${user.token}` },
    });
    assert.equal(get.status, 200);
    assert.deepEqual(await get.json(), { data: { viewer: { email: 'trusted.user@example.com' } } });
  });

  test('a trusted document sent whole runs, with or without its own hash', async () => {
    const whole = await server.gql(VIEWER, {}, { token: user.token });
    assert.deepEqual(whole.body, { data: { viewer: { email: 'trusted.user@example.com' } } });
    const withHash = await post({ query: VIEWER, extensions: persistedQuery(VIEWER) }, { token: user.token });
    assert.deepEqual(withHash.body, { data: { viewer: { email: 'trusted.user@example.com' } } });
  });

  test('an unknown hash is refused with PERSISTED_QUERY_NOT_FOUND (400)', async () => {
    const res = await post({ extensions: persistedQuery('query Unknown { viewer { id } }') }, { token: admin.token });
    assertRefused(res, 400, 'PERSISTED_QUERY_NOT_FOUND');
    assert.match(res.body.errors![0]!.message, /No trusted document has this hash/);
  });

  test('a document sent with the hash of another is refused with PERSISTED_QUERY_MISMATCH (400), even from an admin', async () => {
    for (const token of [undefined, user.token, admin.token]) {
      const res = await post({ query: ARBITRARY, extensions: persistedQuery(VIEWER) }, { token });
      assertRefused(res, 400, 'PERSISTED_QUERY_MISMATCH');
    }
    // The hash of the manifest's document with a changed body (one space more) is no match either.
    assertRefused(await post({ query: `${VIEWER} `, extensions: persistedQuery(VIEWER) }, { token: user.token }), 400, 'PERSISTED_QUERY_MISMATCH');
  });

  test('an arbitrary document from an anonymous client or a plain user is refused with TRUSTED_DOCUMENT_REQUIRED (403), over SSE too', async () => {
    for (const token of [undefined, user.token]) {
      const res = await server.gql(ARBITRARY, {}, { token });
      assertRefused(res, 403, 'TRUSTED_DOCUMENT_REQUIRED');
      assert.match(res.body.errors![0]!.message, /trusted documents only/);
      // Sending its own (correct) hash beside it does not make it trusted.
      assertRefused(await post({ query: ARBITRARY, extensions: persistedQuery(ARBITRARY) }, { token }), 403, 'TRUSTED_DOCUMENT_REQUIRED');
      // Neither does a changed trusted document (here: a field added).
      assertRefused(await server.gql('query Viewer { viewer { email id } }', {}, { token }), 403, 'TRUSTED_DOCUMENT_REQUIRED');
    }
    // A subscription over SSE: refused before the stream starts; the trusted one streams.
    const sse = await sseSubscribe(server, MAINTENANCE_CHANGED.replace('enabled', 'enabled message'), { token: user.token });
    assert.equal(sse.status, 403);
    assert.deepEqual(liveCodes(await sse.events.next()), ['TRUSTED_DOCUMENT_REQUIRED']);
    const trustedSse = await sseSubscribe(server, MAINTENANCE_CHANGED, { token: user.token });
    assert.deepEqual(await trustedSse.events.next(), { data: { maintenanceModeChanged: { enabled: false } } });
    trustedSse.close();
  });

  test('an admin may send any document, so GraphiQL keeps working', async () => {
    const res = await server.gql('{ viewer { email isAdmin } }', {}, { token: admin.token });
    assert.deepEqual(res.body, { data: { viewer: { email: 'trusted.admin@example.com', isAdmin: true } } });
    const introspection = await server.gql(getIntrospectionQuery(), {}, { token: admin.token });
    assert.equal(introspection.status, 200);
    assert.equal(introspection.body.errors, undefined);
    assert.equal(introspection.body.data.__schema.queryType.name, 'Query');
    // The same introspection from a plain user is refused.
    assertRefused(await server.gql(getIntrospectionQuery(), {}, { token: user.token }), 403, 'TRUSTED_DOCUMENT_REQUIRED');
  });

  test('a request with neither a document nor a hash is a 400', async () => {
    assertRefused(await post({ variables: {} }), 400, 'BAD_REQUEST');
  });

  test('over graphql-ws: a hash runs its document, an unknown hash and arbitrary documents of non-admins are refused', async () => {
    const userClient = wsClient(server, user.token);
    const adminClient = wsClient(server, admin.token);
    clients.push(userClient, adminClient);

    // graphql-ws requires a `query` string: empty, with the hash in `extensions`.
    const viewer = wsSubscribe(userClient, { query: '', extensions: persistedQuery(VIEWER) });
    assert.deepEqual(await viewer.events.next(), { data: { viewer: { email: 'trusted.user@example.com' } } });

    const live = wsSubscribe(userClient, { query: '', extensions: persistedQuery(MAINTENANCE_CHANGED) });
    assert.deepEqual(await live.events.next(), { data: { maintenanceModeChanged: { enabled: false } } });
    live.stop();

    const unknown = wsSubscribe(userClient, { query: '', extensions: persistedQuery('{ viewer { id } }') });
    assert.deepEqual(liveCodes(await unknown.events.next()), ['PERSISTED_QUERY_NOT_FOUND']);

    const mismatched = wsSubscribe(adminClient, { query: ARBITRARY, extensions: persistedQuery(VIEWER) });
    assert.deepEqual(liveCodes(await mismatched.events.next()), ['PERSISTED_QUERY_MISMATCH']);

    const arbitrary = wsSubscribe(userClient, ARBITRARY);
    const refused = await arbitrary.events.next();
    assert.deepEqual(liveCodes(refused), ['TRUSTED_DOCUMENT_REQUIRED']);
    assert.equal(refused.data ?? undefined, undefined);
    const anonymousClient = wsClient(server);
    clients.push(anonymousClient);
    assert.deepEqual(liveCodes(await wsSubscribe(anonymousClient, MAINTENANCE_CHANGED.replace('enabled', 'enabled message')).events.next()), [
      'TRUSTED_DOCUMENT_REQUIRED',
    ]);

    const allowed = wsSubscribe(adminClient, ARBITRARY);
    const result = await allowed.events.next();
    assert.equal(result.errors, undefined, JSON.stringify(result));
    assert.ok(Array.isArray(result.data.validationRules));
  });
});

describe('TRUSTED_DOCUMENTS configuration', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-manifest-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** The ConfigError message for a TRUSTED_DOCUMENTS value. */
  function refusal(value: string): string {
    assert.throws(() => loadConfig({ TRUSTED_DOCUMENTS: value }), ConfigError);
    try {
      loadConfig({ TRUSTED_DOCUMENTS: value });
    } catch (error) {
      const message = (error as Error).message;
      assert.match(message, /^Invalid configuration:\n {2}TRUSTED_DOCUMENTS: /, message);
      return message;
    }
    throw new Error('unreachable');
  }
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  test('reads one or several manifests; unset allows any document', () => {
    const one = writeManifest(dir, 'one.json', [VIEWER]);
    const two = writeManifest(dir, 'two.json', [MAINTENANCE_CHANGED]);
    const config = loadConfig({ TRUSTED_DOCUMENTS: `${one},${two}` });
    assert.deepEqual(config.trustedDocuments?.files, [one, two]);
    assert.equal(config.trustedDocuments?.byHash.get(sha256(VIEWER)), VIEWER);
    assert.equal(config.trustedDocuments?.byHash.get(sha256(MAINTENANCE_CHANGED)), MAINTENANCE_CHANGED);
    // Bare hex keys (other tools' manifests) are read as well.
    const bare = file('bare.json', JSON.stringify({ [sha256(VIEWER).toUpperCase()]: VIEWER }));
    assert.equal(loadConfig({ TRUSTED_DOCUMENTS: bare }).trustedDocuments?.byHash.get(sha256(VIEWER)), VIEWER);
    assert.equal(loadConfig({}).trustedDocuments, null);
    assert.equal(loadConfig({ TRUSTED_DOCUMENTS: '  ' }).trustedDocuments, null);
  });

  test('a missing, unreadable, non-JSON or malformed manifest stops the start with a message naming it', () => {
    const missing = join(dir, 'missing.json');
    assert.match(refusal(missing), new RegExp(`cannot read ${missing} \\(ENOENT`));
    assert.match(refusal(dir), /cannot read .* \(EISDIR/);
    assert.match(refusal(file('broken.json', '{ "sha256:ab": ')), /broken\.json is not JSON/);
    assert.match(refusal(file('list.json', JSON.stringify([VIEWER]))), /list\.json must be a JSON object mapping "sha256:<hash>" to a document/);
    assert.match(refusal(file('empty.json', '{}')), /empty\.json lists no documents/);
    assert.match(refusal(file('number.json', JSON.stringify({ [`sha256:${sha256(VIEWER)}`]: 42 }))), /the entry "sha256:[0-9a-f]{64}" is not a document/);
    assert.match(refusal(file('short.json', JSON.stringify({ 'sha256:abc': VIEWER }))), /"sha256:abc" is not a SHA-256 hash/);
    // The preset's sha1 hashes (or a hand-edited document) would never match what clients send.
    const sha1 = createHash('sha1').update(VIEWER).digest('hex');
    assert.match(refusal(file('sha1.json', JSON.stringify({ [sha1]: VIEWER }))), /is not a SHA-256 hash/);
    const edited = file('edited.json', JSON.stringify({ [`sha256:${sha256(VIEWER)}`]: `${VIEWER} ` }));
    assert.match(refusal(edited), /is not the SHA-256 of its document; regenerate the manifest/);
    // One bad file of several is enough to refuse.
    assert.match(refusal(`${writeManifest(dir, 'good.json', [VIEWER])},${missing}`), /cannot read/);
    assert.match(refusal(' , '), /expected the path of a manifest/);
  });
});

// The admin console under TRUSTED_DOCUMENTS: the server trusts the console's own manifest (written
// by the build, console/dist/persisted-documents.json) beside the configured ones while the
// console is served, so a non-admin signs in and uses My account in Chromium — while any other
// document stays refused for them. With CONSOLE=false the console's documents are not trusted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { createConfirmedUser, errorCodes, LOGIN, REGISTER, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { CONSOLE_DIST, CONSOLE_MANIFEST } from '../../src/console/http.ts';
import { assertAccessible, launchChromium, openConsole, signIn } from './console-page.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** Public, so only the trusted-documents rule can refuse it; in no manifest. */
const ARBITRARY = '{ validationRules }';
/** The console's documents as the build wrote them: "sha256:<hex>" → the text the console sends. */
const consoleDocuments = (): Record<string, string> => JSON.parse(readFileSync(join(CONSOLE_DIST, CONSOLE_MANIFEST), 'utf8'));
const consoleDocument = (operation: string): string => {
  const found = Object.values(consoleDocuments()).find((text) => new RegExp(`\\b(query|mutation|subscription) ${operation}\\b`).test(text));
  assert.ok(found, `${operation} in the console's manifest`);
  return found;
};

describe('console under TRUSTED_DOCUMENTS', () => {
  let manifestDir: string;
  let manifest: string;
  let server: TestServer;
  let browser: Browser;
  let user: { token: string };

  before(async () => {
    manifestDir = mkdtempSync(join(tmpdir(), 'gatehouse-console-manifest-'));
    // Another front end's manifest (with the documents createConfirmedUser sends), not the console's.
    manifest = join(manifestDir, 'app.json');
    const app = ['query AppViewer { viewer { email } }', REGISTER, LOGIN];
    writeFileSync(manifest, JSON.stringify(Object.fromEntries(app.map((d) => [`sha256:${sha256(d)}`, d]))));
    // A claimed server (an admin exists), or the console would show first-run setup.
    server = await startTestServer({ TRUSTED_DOCUMENTS: manifest, ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD: STRONG_PASSWORD });
    user = await createConfirmedUser(server, 'member@example.com', STRONG_PASSWORD, { displayName: 'Member' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    rmSync(manifestDir, { recursive: true, force: true });
  });

  test("the build writes the console's manifest: every key the SHA-256 of the text the console sends; it is not served", async () => {
    const documents = consoleDocuments();
    assert.ok(Object.keys(documents).length >= 5);
    for (const [key, text] of Object.entries(documents)) assert.equal(key, `sha256:${sha256(text)}`);
    for (const operation of ['ConsoleStart', 'ConsoleLogin', 'ConsoleAccount', 'ConsoleUpdateProfile']) consoleDocument(operation);
    assert.equal((await fetch(`${server.origin}/admin/${CONSOLE_MANIFEST}`)).status, 404, 'for the server only');
  });

  test('a non-admin signs in through the console and uses My account; another document stays refused for them', async () => {
    const { page, errors, close } = await openConsole(browser, server.origin);
    await signIn(page, 'member@example.com', STRONG_PASSWORD);
    await page.getByRole('heading', { name: 'My account', level: 1 }).waitFor();
    await page.getByText('Signed in as member@example.com', { exact: false }).first().waitFor();
    await page.getByLabel('Display name').fill('Member Two');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('Profile saved.').waitFor();
    await assertAccessible(page, 'trusted-documents-account');

    // The same cookie session sending a document of its own, as a script in the page could: refused.
    const own = await page.evaluate(async (query) => {
      const res = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-gatehouse-csrf': '1' },
        body: JSON.stringify({ query }),
      });
      return { status: res.status, body: await res.json() };
    }, ARBITRARY);
    assert.equal(own.status, 403);
    assert.equal(own.body.errors[0].extensions.code, 'TRUSTED_DOCUMENT_REQUIRED');
    assert.deepEqual(errors(), []);
    await close();

    // Over the API too: the console's documents run (sent whole or by hash), any other is refused.
    for (const token of [undefined, user.token]) assert.deepEqual(errorCodes(await server.gql(ARBITRARY, {}, { token })), ['TRUSTED_DOCUMENT_REQUIRED']);
    const account = await server.gql(consoleDocument('ConsoleAccount'), {}, { token: user.token });
    assert.equal(account.body.data.viewer.displayName, 'Member Two');
    const byHash = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
      body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256(consoleDocument('ConsoleStart')) } } }),
    });
    assert.equal(((await byHash.json()) as any).data.viewer.email, 'member@example.com');
    // The configured manifest still counts.
    assert.deepEqual((await server.gql('query AppViewer { viewer { email } }', {}, { token: user.token })).body.data, { viewer: { email: 'member@example.com' } });
  });

  test("CONSOLE=false: the console's documents are not trusted", async () => {
    const off = await startTestServer({ TRUSTED_DOCUMENTS: manifest, CONSOLE: 'false' });
    try {
      const start = consoleDocument('ConsoleStart');
      assert.deepEqual(errorCodes(await off.gql(start)), ['TRUSTED_DOCUMENT_REQUIRED']);
      const byHash = await fetch(off.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256(start) } } }),
      });
      assert.equal(byHash.status, 400);
      assert.equal(((await byHash.json()) as any).errors[0].extensions.code, 'PERSISTED_QUERY_NOT_FOUND');
      // With the console on, the same anonymous request runs.
      assert.deepEqual((await server.gql(start)).body.data.setupStatus, { needsSetup: false });
    } finally {
      await off.close();
    }
  });
});

// Downloading the database: a single-use link valid for 60 s (ManualClock), or an Authorization
// header; the body is a fresh consistent snapshot that opens and passes integrity_check, sent as
// an attachment, and no temporary file stays behind. Downloads are audited.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createConfirmedUser, login, startTestServer, type TestServer } from '../helpers/server.ts';
import { createAdmin } from '../maintenance/maintenance-helpers.ts';
import { auditActions, dataOf, DOWNLOAD_LINK, integrityOf } from './database-helpers.ts';

describe('downloading the database', () => {
  let server: TestServer;
  let admin: { token: string; userId: string };
  let user: { token: string; userId: string };
  let scratch: string;
  let downloadUrl: string;

  before(async () => {
    server = await startTestServer({}, {}, { keepSqlite: true });
    admin = await createAdmin(server, 'download.admin@example.com');
    user = await createConfirmedUser(server, 'download.user@example.com');
    scratch = mkdtempSync(join(tmpdir(), 'gatehouse-download-'));
    downloadUrl = `${server.origin}/admin/database/download`;
  });
  after(async () => {
    await server.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  async function link(token = admin.token): Promise<{ url: string; expiresAt: string }> {
    const result = dataOf(await server.gql(DOWNLOAD_LINK, {}, { token })).createDatabaseDownloadLink;
    assert.equal(result.__typename, 'DatabaseDownloadLink', JSON.stringify(result));
    return result;
  }

  /** Saves a downloaded body and checks it is a whole database holding the admin. */
  function assertSnapshot(body: ArrayBuffer, name: string): void {
    const path = join(scratch, name);
    writeFileSync(path, new Uint8Array(body));
    assert.equal(integrityOf(path), 'ok');
    const db = new Database(path, { readonly: true });
    try {
      const row = db.prepare('select email from users where id = ?').get(admin.userId) as { email: string } | undefined;
      assert.equal(row?.email, 'download.admin@example.com');
    } finally {
      db.close();
    }
  }

  const leftovers = () => readdirSync(server.gatehouse.config.backup.dir).filter((n) => n.endsWith('.tmp'));

  test('a link downloads a snapshot that opens and passes integrity_check, as an attachment; it works once', async () => {
    const { url, expiresAt } = await link();
    assert.ok(url.startsWith(`${downloadUrl}?token=`), url);
    assert.equal(new Date(expiresAt).getTime(), server.clock.now().getTime() + 60_000);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-disposition')!, /^attachment; filename="gatehouse-\d{8}T\d{6}Z\.db"$/);
    assert.equal(res.headers.get('content-type'), 'application/vnd.sqlite3');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = await res.arrayBuffer();
    assert.equal(Number(res.headers.get('content-length')), body.byteLength);
    assertSnapshot(body, 'link.db');
    assert.deepEqual(leftovers(), []);

    const again = await fetch(url);
    assert.equal(again.status, 403);
    assert.equal((await again.json()).code, 'INVALID_TOKEN');
  });

  test('a link expires after 60 s', async () => {
    const { url } = await link();
    server.clock.advance(60_001);
    const res = await fetch(url);
    assert.equal(res.status, 403);
    assert.match((await res.json()).error, /used already or has expired/);
    const unknown = await fetch(`${downloadUrl}?token=not-a-token`);
    assert.equal(unknown.status, 403);
  });

  test('the link dies with its creator’s access: a creator who is disabled meanwhile cannot use it', async () => {
    const helper = await createAdmin(server, 'download.helper@example.com');
    const { url } = await link(helper.token);
    await server.gatehouse.services.orm.em.getConnection().execute('update users set disabled = 1 where id = ?', [helper.userId]);
    assert.equal((await fetch(url)).status, 403);
  });

  test('an Authorization header of an admin works; a user’s is 403; none, a bad one, or a cookie alone is 401', async () => {
    const res = await fetch(downloadUrl, { headers: { authorization: `Bearer ${admin.token}` } });
    assert.equal(res.status, 200);
    assertSnapshot(await res.arrayBuffer(), 'header.db');

    const forbidden = await fetch(downloadUrl, { headers: { authorization: `Bearer ${user.token}` } });
    assert.equal(forbidden.status, 403);
    assert.equal((await forbidden.json()).code, 'FORBIDDEN');
    assert.equal((await fetch(downloadUrl)).status, 401);
    assert.equal((await fetch(downloadUrl, { headers: { authorization: 'Bearer nope' } })).status, 401);
    const { response } = await login(server, 'download.admin@example.com');
    const cookie = response.headers.getSetCookie()[0]!.split(';')[0]!;
    const withCookie = await fetch(downloadUrl, { headers: { cookie } });
    assert.equal(withCookie.status, 401, 'a cookie alone would let another site start a download');
    assert.equal((await fetch(downloadUrl, { method: 'POST', headers: { authorization: `Bearer ${admin.token}` } })).status, 405);
    assert.deepEqual(leftovers(), []);
  });

  test('only database:read holders get a link: anonymous UNAUTHENTICATED, users FORBIDDEN', async () => {
    assert.equal((await server.gql(DOWNLOAD_LINK)).body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    assert.equal((await server.gql(DOWNLOAD_LINK, {}, { token: user.token })).body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
  });

  test('links and downloads are audited with who asked', async () => {
    const { url } = await link();
    await (await fetch(url)).arrayBuffer();
    const events = await auditActions(server);
    const created = events.filter((e) => e.action === 'database.download_link').at(-1)!;
    const downloaded = events.filter((e) => e.action === 'database.download').at(-1)!;
    assert.equal(created.actorId, admin.userId);
    assert.equal(downloaded.actorId, admin.userId);
    assert.equal((downloaded.details as any).via, 'link');
    assert.ok((downloaded.details as any).sizeBytes > 0);
  });
});

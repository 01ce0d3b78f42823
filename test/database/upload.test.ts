// Uploading a database (GraphQL multipart request). Every bad file is refused with a typed error
// saying why, and changes nothing (every table's checksum is the same, only the refusal is
// audited); files over MAX_UPLOAD_MB are refused before they are read; an older Gatehouse
// database is migrated forward; a cookie-authenticated upload still needs the CSRF header.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, openAsBlob, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { createConfirmedUser, login, startTestServer, type TestServer } from '../helpers/server.ts';
import { createAdmin } from '../maintenance/maintenance-helpers.ts';
import { migrations } from '../../src/db/migrations/index.ts';
import {
  auditActions,
  corruptedCopy,
  createBackup,
  dataOf,
  newerSchemaCopy,
  olderSchemaDatabase,
  otherAppDatabase,
  tableChecksums,
  truncatedCopy,
  uploadDatabase,
  userEmails,
} from './database-helpers.ts';

describe('uploading a database', () => {
  let server: TestServer;
  let admin: { token: string; userId: string };
  let user: { token: string; userId: string };
  let scratch: string;
  /** A good Gatehouse database: a backup holding the admin, the user and "backup-time@example.com". */
  let good: string;

  before(async () => {
    server = await startTestServer({ MAX_UPLOAD_MB: '2' }, {}, { keepSqlite: true });
    admin = await createAdmin(server, 'upload.admin@example.com');
    user = await createConfirmedUser(server, 'upload.user@example.com');
    await createConfirmedUser(server, 'backup-time@example.com');
    scratch = mkdtempSync(join(tmpdir(), 'gatehouse-upload-'));
    const backup = await createBackup(server, admin.token);
    good = join(scratch, 'good.db');
    copyFileSync(join(server.gatehouse.config.backup.dir, backup.name), good);
    await createConfirmedUser(server, 'after-backup@example.com');
  });
  after(async () => {
    await server.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Temporary upload files left beside the database. */
  const leftovers = () => readdirSync(dirname(server.gatehouse.config.databasePath)).filter((n) => n.endsWith('.tmp'));

  async function assertRefused(file: string | Buffer, expected: { typename: string; code: string; message: RegExp }): Promise<void> {
    const before = await tableChecksums(server, ['audit_events']);
    const auditBefore = (await auditActions(server, '')).length;
    const blob = typeof file === 'string' ? await openAsBlob(file) : new Blob([new Uint8Array(file)]);
    const res = await uploadDatabase(server, blob, { token: admin.token, filename: 'candidate.db' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const result = res.body.data.uploadDatabase;
    assert.equal(result.__typename, expected.typename, JSON.stringify(result));
    assert.equal(result.code, expected.code);
    assert.match(result.message, expected.message);
    assert.deepEqual(await tableChecksums(server, ['audit_events']), before, 'no table changed');
    const added = (await auditActions(server, '')).slice(auditBefore);
    assert.deepEqual(added.map((e) => [e.action, (e.details as any).code]), [['database.replace_refused', expected.code]]);
    assert.equal(added[0]!.actorId, admin.userId);
    assert.deepEqual(leftovers(), []);
  }

  test('a text file renamed .db → NotSqliteError', async () => {
    const text = join(scratch, 'notes.db');
    writeFileSync(text, 'These are my notes, not a database.\n'.repeat(50));
    await assertRefused(text, { typename: 'NotSqliteError', code: 'NOT_SQLITE', message: /not a SQLite database/ });
    await assertRefused(Buffer.alloc(0), { typename: 'NotSqliteError', code: 'NOT_SQLITE', message: /not a SQLite database/ });
  });

  test('a truncated database → CorruptDatabaseError', async () => {
    await assertRefused(truncatedCopy(good, join(scratch, 'truncated.db')), { typename: 'CorruptDatabaseError', code: 'CORRUPT', message: /truncated/ });
  });

  test('a database with a corrupted page → CorruptDatabaseError', async () => {
    await assertRefused(corruptedCopy(good, join(scratch, 'corrupted.db')), { typename: 'CorruptDatabaseError', code: 'CORRUPT', message: /damaged/ });
  });

  test('another application’s SQLite file → IncompatibleSchemaError', async () => {
    await assertRefused(otherAppDatabase(join(scratch, 'other.db')), {
      typename: 'IncompatibleSchemaError',
      code: 'INCOMPATIBLE_SCHEMA',
      message: /not a Gatehouse database/,
    });
  });

  test('a database from a newer Gatehouse → IncompatibleSchemaError', async () => {
    await assertRefused(newerSchemaCopy(good, join(scratch, 'newer.db')), {
      typename: 'IncompatibleSchemaError',
      code: 'INCOMPATIBLE_SCHEMA',
      message: /newer Gatehouse.*Migration29991231000000_future/,
    });
  });

  test('a file over MAX_UPLOAD_MB → 413 TOO_LARGE before it is read (or as soon as it passes the limit); nothing changed', async () => {
    const before = await tableChecksums(server);
    // Over the limit by Content-Length: refused before a byte of the body is read.
    const huge = await uploadDatabase(server, Buffer.alloc(5 * 1024 * 1024, 1), { token: admin.token });
    assert.equal(huge.status, 413);
    assert.equal(huge.body.errors[0].extensions.code, 'TOO_LARGE');
    assert.match(huge.body.errors[0].message, /2 MB \(MAX_UPLOAD_MB\)/);
    // Within the body allowance, but the file itself is over: refused once the limit is reached.
    const over = await uploadDatabase(server, Buffer.alloc(2.5 * 1024 * 1024, 1), { token: admin.token });
    assert.equal(over.status, 413);
    assert.equal(over.body.errors[0].extensions.code, 'TOO_LARGE');
    // Others may not send bodies over MAX_BODY_BYTES at all.
    const stranger = await uploadDatabase(server, Buffer.alloc(1.5 * 1024 * 1024, 1), { token: user.token });
    assert.equal(stranger.status, 413);
    assert.equal(stranger.body.errors[0].extensions.code, 'TOO_LARGE');
    assert.match(stranger.body.errors[0].message, /database:write/);
    assert.deepEqual(await tableChecksums(server), before);
    assert.deepEqual(leftovers(), []);
  });

  test('non-admins: anonymous UNAUTHENTICATED, a plain user FORBIDDEN; nothing changed', async () => {
    const before = await tableChecksums(server);
    const anonymous = await uploadDatabase(server, await openAsBlob(good));
    assert.equal(anonymous.body.errors[0].extensions.code, 'UNAUTHENTICATED');
    const plain = await uploadDatabase(server, await openAsBlob(good), { token: user.token });
    assert.equal(plain.body.errors[0].extensions.code, 'FORBIDDEN');
    assert.deepEqual(await tableChecksums(server), before);
    assert.deepEqual(leftovers(), []);
  });

  test('with a session cookie, a multipart upload needs the CSRF header (multipart is a “simple” content type)', async () => {
    const { response } = await login(server, 'upload.admin@example.com');
    const cookie = response.headers.getSetCookie()[0]!.split(';')[0]!;
    const before = await tableChecksums(server);
    const forged = await uploadDatabase(server, await openAsBlob(good), { cookie });
    assert.equal(forged.status, 403);
    assert.equal(forged.body.errors[0].extensions.code, 'FORBIDDEN');
    assert.match(forged.body.errors[0].message, /x-gatehouse-csrf/);
    const crossSite = await uploadDatabase(server, await openAsBlob(good), { cookie, headers: { origin: 'https://evil.example', 'x-gatehouse-csrf': '1' } });
    assert.equal(crossSite.status, 403);
    assert.deepEqual(await tableChecksums(server), before);

    const accepted = await uploadDatabase(server, await openAsBlob(good), { cookie, headers: { 'x-gatehouse-csrf': '1' }, filename: 'good.db' });
    assert.equal(accepted.body.data.uploadDatabase.__typename, 'DatabaseReplaced', JSON.stringify(accepted.body));
    assert.equal(accepted.body.data.uploadDatabase.source, 'good.db');
    assert.deepEqual(await userEmails(server), ['backup-time@example.com', 'upload.admin@example.com', 'upload.user@example.com']);
    const events = await auditActions(server);
    assert.equal(events.at(-1)!.action, 'database.upload');
    assert.deepEqual(leftovers(), []);
  });

  test('a larger upload (over MAX_BODY_BYTES, within MAX_UPLOAD_MB) from an admin is streamed to disk and accepted', async () => {
    const big = join(scratch, 'big.db');
    copyFileSync(good, big);
    const db = new Database(big);
    db.exec('create table padding (data blob); insert into padding values (randomblob(1200000));');
    db.close();
    const { token } = await login(server, 'upload.admin@example.com');
    const res = await uploadDatabase(server, await openAsBlob(big), { token });
    assert.equal(res.body.data.uploadDatabase.__typename, 'DatabaseReplaced', JSON.stringify(res.body));
    const [{ n }] = await server.gatehouse.services.orm.em.getConnection().execute<[{ n: number }]>('select count(*) as n from padding');
    assert.equal(n, 1);
    assert.deepEqual(leftovers(), []);
  });
  // Last: the database it uploads is a new one, without the admin.
  test('a database of an older Gatehouse is accepted and migrated forward', async () => {
    const level = migrations.findIndex((m) => m.name === 'Migration20261123112917_roles_audit');
    const older = await olderSchemaDatabase(join(scratch, 'older.db'), migrations[level]!.name);
    const res = await uploadDatabase(server, await openAsBlob(older), { token: (await login(server, 'upload.admin@example.com')).token });
    const result = res.body.data.uploadDatabase;
    assert.equal(result.__typename, 'DatabaseReplaced', JSON.stringify(res.body));
    assert.deepEqual(result.migrationsApplied, migrations.slice(level + 1).map((m) => m.name));
    const tables = await server.gatehouse.services.orm.em.getConnection().execute("select name from sqlite_schema where name = 'system_settings'");
    assert.equal(tables.length, 1);
    assert.equal(dataOf(await server.gql('{ maintenance { enabled } }')).maintenance.enabled, false);
    assert.deepEqual(await userEmails(server), []);
  });
});

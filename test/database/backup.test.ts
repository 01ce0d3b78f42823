// Online backups: consistent under concurrent writes, listed newest first, deleted by name; names
// from clients are checked (no traversal); only `database:*` holders may; every change is audited.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createConfirmedUser, errorCodes, startTestServer, type TestServer } from '../helpers/server.ts';
import { createAdmin } from '../maintenance/maintenance-helpers.ts';
import { AuditEvent } from '../../src/audit/entities.ts';
import { runDueBackup } from '../../src/database/server-tasks.ts';
import {
  auditActions,
  BACKUPS,
  createBackup,
  CREATE_BACKUP,
  dataOf,
  DELETE_BACKUP,
  DOWNLOAD_LINK,
  integrityOf,
  RESTORE_BACKUP,
  UPLOAD_DATABASE,
} from './database-helpers.ts';

describe('database backups', () => {
  let server: TestServer;
  let admin: { token: string; userId: string };
  let user: { token: string; userId: string };
  let backupDir: string;

  before(async () => {
    server = await startTestServer({}, {}, { keepSqlite: true });
    admin = await createAdmin(server, 'backup.admin@example.com');
    user = await createConfirmedUser(server, 'backup.user@example.com');
    backupDir = server.gatehouse.config.backup.dir;
  });
  after(() => server.close());

  test('a backup under concurrent writes opens, passes integrity_check, and holds every row committed before it started', async () => {
    const services = server.gatehouse.services;
    // Enough rows that the copy takes a while, so writes land while it runs.
    await services.orm.em.getConnection().execute(
      `with recursive n(i) as (select 1 union all select i + 1 from n where i < 30000)
       insert into audit_events (at, actor_type, action, details) select datetime('now'), 'system', 'test.bulk', json_object('i', i, 'pad', hex(randomblob(64))) from n`,
    );
    let committed = 0;
    let failures = 0;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        try {
          await services.orm.em.fork().insert(AuditEvent, { at: new Date(), actorType: 'system', action: 'test.write', details: { n: committed + 1 } });
          committed++;
        } catch {
          failures++;
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const committedBefore = committed;
    const backup = await createBackup(server, admin.token, 'under load');
    writing = false;
    await writer;
    assert.equal(failures, 0, 'every write during the backup succeeded');
    assert.ok(committed > committedBefore, 'writes went on');

    const path = join(backupDir, backup.name);
    assert.equal(integrityOf(path), 'ok');
    const db = new Database(path, { readonly: true });
    try {
      const writes = db.prepare("select json_extract(details, '$.n') as n from audit_events where action = 'test.write'").all() as Array<{ n: number }>;
      const present = new Set(writes.map((w) => w.n));
      for (let n = 1; n <= committedBefore; n++) assert.ok(present.has(n), `write ${n} (committed before the backup) is in it`);
      assert.equal((db.prepare("select count(*) as c from audit_events where action = 'test.bulk'").get() as { c: number }).c, 30000);
      // A self-contained file: rollback journal mode, nothing beside it.
      assert.equal(db.pragma('journal_mode', { simple: true }), 'delete');
    } finally {
      db.close();
    }
    assert.ok(!existsSync(`${path}-wal`));
    assert.equal(backup.kind, 'MANUAL');
    assert.equal(backup.label, 'under load');
    assert.match(backup.name, /^gatehouse-\d{8}T\d{9}Z-[0-9a-f]{8}\.db$/);
  });

  test('backups are listed newest first with their metadata; deleteBackup removes one (and its metadata)', async () => {
    server.clock.advance(1000);
    const first = await createBackup(server, admin.token, 'first');
    server.clock.advance(1000);
    const second = await createBackup(server, admin.token);
    const listed = dataOf(await server.gql(BACKUPS, {}, { token: admin.token })).backups;
    assert.deepEqual(listed.slice(0, 2).map((b: any) => b.name), [second.name, first.name]);
    const { __typename, ...firstFields } = first;
    assert.deepEqual(listed[1], firstFields);
    assert.equal(listed[0].label, null);

    const deleted = dataOf(await server.gql(DELETE_BACKUP, { name: first.name }, { token: admin.token })).deleteBackup;
    assert.deepEqual(deleted, { __typename: 'DeletedBackup', name: first.name });
    assert.ok(!existsSync(join(backupDir, first.name)));
    assert.ok(!existsSync(join(backupDir, `${first.name}.json`)));
    assert.ok(!dataOf(await server.gql(BACKUPS, {}, { token: admin.token })).backups.some((b: any) => b.name === first.name));
    // Gone now: NOT_FOUND, for delete and restore alike.
    assert.deepEqual(errorCodes(await server.gql(DELETE_BACKUP, { name: first.name }, { token: admin.token })), ['NOT_FOUND']);
    assert.deepEqual(errorCodes(await server.gql(RESTORE_BACKUP, { name: first.name }, { token: admin.token })), ['NOT_FOUND']);
  });

  test('names that are not server-generated backup names are refused before any file is touched', async () => {
    const target = await createBackup(server, admin.token);
    const evil = [
      '../gatehouse.db',
      '../../etc/passwd',
      '/etc/passwd',
      join(backupDir, target.name),
      `${target.name}/../../gatehouse.db`,
      `..\\${target.name}`,
      `${target.name}\u0000.txt`,
      `./${target.name}`,
      `${target.name}.json`,
      'gatehouse.db',
      '',
    ];
    for (const name of evil) {
      for (const mutation of [DELETE_BACKUP, RESTORE_BACKUP]) {
        const res = await server.gql(mutation, { name }, { token: admin.token });
        const result = Object.values(dataOf(res))[0] as any;
        assert.equal(result.__typename, 'ValidationError', `${JSON.stringify(name)}: ${JSON.stringify(result)}`);
        assert.equal(result.fields[0].field, 'name');
      }
    }
    assert.ok(existsSync(join(backupDir, target.name)), 'the backup is still there');
    assert.ok(existsSync(server.gatehouse.config.databasePath));
  });

  test('labels are checked: at most 200 characters, no control characters', async () => {
    for (const label of ['x'.repeat(201), 'bad\nlabel']) {
      const result = dataOf(await server.gql(CREATE_BACKUP, { label }, { token: admin.token })).createBackup;
      assert.equal(result.__typename, 'ValidationError');
      assert.equal(result.fields[0].field, 'label');
    }
  });

  test('anonymous callers are UNAUTHENTICATED and users without the permissions FORBIDDEN, for every operation', async () => {
    const name = (await createBackup(server, admin.token)).name;
    const before = readdirSync(backupDir).sort();
    const operations: Array<[string, Record<string, unknown>]> = [
      [BACKUPS, {}],
      [CREATE_BACKUP, {}],
      [DELETE_BACKUP, { name }],
      [RESTORE_BACKUP, { name }],
      [DOWNLOAD_LINK, {}],
    ];
    for (const [query, variables] of operations) {
      assert.deepEqual(errorCodes(await server.gql(query, variables)), ['UNAUTHENTICATED'], query);
      assert.deepEqual(errorCodes(await server.gql(query, variables, { token: user.token })), ['FORBIDDEN'], query);
    }
    // A File argument cannot be given in JSON: the upload is a multipart request (upload.test.ts).
    const json = await server.gql(UPLOAD_DATABASE, { file: 'gatehouse.db' }, { token: admin.token });
    assert.deepEqual(errorCodes(json), ['BAD_USER_INPUT']);
    assert.match(json.body.errors![0]!.message, /multipart/);
    assert.deepEqual(readdirSync(backupDir).sort(), before);
  });

  test('creating and deleting backups is audited, with who did it', async () => {
    const backup = await createBackup(server, admin.token, 'audited');
    await server.gql(DELETE_BACKUP, { name: backup.name }, { token: admin.token });
    const events = await auditActions(server);
    const created = events.find((e) => e.action === 'database.backup' && e.targetId === backup.name);
    const deleted = events.find((e) => e.action === 'database.delete_backup' && e.targetId === backup.name);
    assert.ok(created && deleted);
    assert.equal(created.actorId, admin.userId);
    assert.equal(created.actorEmail, 'backup.admin@example.com');
    assert.deepEqual(created.details, { kind: 'manual', label: 'audited' });
  });
});

describe('scheduled backups', () => {
  let server: TestServer;
  let admin: { token: string; userId: string };

  before(async () => {
    server = await startTestServer({ BACKUP_INTERVAL: '6h', BACKUP_KEEP: '2' }, {}, { keepSqlite: true });
    admin = await createAdmin(server, 'schedule.admin@example.com');
  });
  after(() => server.close());

  const listed = async () => dataOf(await server.gql(BACKUPS, {}, { token: admin.token })).backups as any[];

  test('one is taken at start, then one whenever the newest is BACKUP_INTERVAL old; the newest BACKUP_KEEP automatic ones are kept', async () => {
    // The first comes from the start-up tick (a background task).
    await server.gatehouse.services.background.settle();
    const first = (await listed()).filter((b) => b.kind === 'SCHEDULED');
    assert.equal(first.length, 1);
    const services = server.gatehouse.services;
    assert.equal(await runDueBackup(services), null, 'not due yet');

    const manual = await createBackup(server, admin.token, 'keep me');
    server.clock.advance(6 * 3600_000);
    const second = await runDueBackup(services);
    assert.ok(second);
    server.clock.advance(6 * 3600_000);
    const third = await runDueBackup(services);
    assert.ok(third);

    const names = (await listed()).map((b) => b.name);
    assert.ok(names.includes(second.name) && names.includes(third.name));
    assert.ok(!names.includes(first[0].name), 'the oldest scheduled backup is gone (BACKUP_KEEP=2)');
    assert.ok(names.includes(manual.name), 'manual backups are not subject to retention');
    const audit = await auditActions(server);
    assert.ok(audit.some((e) => e.action === 'database.backup' && e.actorType === 'system' && e.targetId === third.name));
  });

  test('retention never deletes the safety backup of the last restore', async () => {
    const services = server.gatehouse.services;
    const source = await createBackup(server, admin.token);
    const restored = dataOf(await server.gql(RESTORE_BACKUP, { name: source.name }, { token: admin.token })).restoreBackup;
    assert.equal(restored.__typename, 'DatabaseReplaced', JSON.stringify(restored));
    const { token } = await import('../helpers/server.ts').then((m) => m.login(server, 'schedule.admin@example.com'));
    const safety = restored.safetyBackup.name;
    for (let i = 0; i < 3; i++) {
      server.clock.advance(6 * 3600_000);
      assert.ok(await runDueBackup(services));
    }
    const backups = dataOf(await server.gql(BACKUPS, {}, { token })).backups as any[];
    const automatic = backups.filter((b) => b.kind !== 'MANUAL');
    assert.deepEqual(automatic.filter((b) => b.kind === 'SCHEDULED').length, 2);
    assert.ok(automatic.some((b) => b.name === safety), 'the last restore’s safety backup is kept');
  });
});

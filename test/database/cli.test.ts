// `gatehouse db backup | list | restore | check` as an operator runs them (subprocesses): backups
// audited as the command line, a restore refused while a server runs on the database unless
// --force, and `db check` telling a good file from a bad one without changing anything.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runGatehouse } from '../helpers/cli.ts';
import { createConfirmedUser, startTestServer } from '../helpers/server.ts';
import { createAdmin } from '../maintenance/maintenance-helpers.ts';
import { fileChecksums, otherAppDatabase } from './database-helpers.ts';

describe('gatehouse db', () => {
  let dir: string;
  let databasePath: string;
  const run = (...args: string[]) => runGatehouse(['db', ...args], { cwd: dir, databasePath, keepSqlite: true });

  function emails(): string[] {
    const db = new Database(databasePath, { readonly: true });
    try {
      return (db.prepare('select email from users order by email').all() as Array<{ email: string }>).map((r) => r.email);
    } finally {
      db.close();
    }
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-db-cli-'));
    databasePath = join(dir, 'gatehouse.db');
    const server = await startTestServer({ DATABASE_URL: databasePath }, {}, { keepSqlite: true });
    try {
      await createAdmin(server, 'cli.admin@example.com');
    } finally {
      await server.close();
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  let labelled: string;

  test('db backup --label writes a backup into BACKUP_DIR (beside the database by default); db list shows it', async () => {
    const backup = await run('backup', '--label', 'before the upgrade');
    assert.equal(backup.code, 0, backup.stderr);
    const path = /Backed up to (\S+) \(/.exec(backup.stdout)?.[1];
    assert.ok(path && existsSync(path), backup.stdout);
    assert.ok(path.startsWith(join(dir, 'backups')));

    const list = await run('list', '--json');
    assert.equal(list.code, 0, list.stderr);
    const backups = JSON.parse(list.stdout);
    assert.equal(backups.length, 1);
    assert.equal(backups[0].label, 'before the upgrade');
    assert.equal(backups[0].kind, 'manual');
    labelled = backups[0].name;
    const table = await run('list');
    assert.match(table.stdout, /^NAME\s+CREATED\s+SIZE\s+KIND\s+LABEL$/m);
    assert.match(table.stdout, new RegExp(`${labelled}.*manual\\s+before the upgrade`));

    const db = new Database(databasePath, { readonly: true });
    const event = db.prepare("select actor_type, target_id from audit_events where action = 'database.backup'").get() as any;
    db.close();
    assert.deepEqual(event, { actor_type: 'cli', target_id: labelled });
  });

  test('db restore <name> replaces the database (after a safety backup) when no server runs on it', async () => {
    const server = await startTestServer({ DATABASE_URL: databasePath }, {}, { keepSqlite: true });
    try {
      await createConfirmedUser(server, 'later@example.com');
    } finally {
      await server.close();
    }
    assert.deepEqual(emails(), ['cli.admin@example.com', 'later@example.com']);
    const restored = await run('restore', labelled);
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, new RegExp(`Restored ${labelled}\\.\\nSafety backup of the database as it was: gatehouse-\\S+\\.db`));
    assert.deepEqual(emails(), ['cli.admin@example.com']);
    const safety = /as it was: (\S+)/.exec(restored.stdout)![1]!;
    const backups = JSON.parse((await run('list', '--json')).stdout);
    assert.equal(backups.find((b: any) => b.name === safety).kind, 'safety');
  });

  test('db restore refuses while a server runs on the database; --force goes ahead and says to restart it', async () => {
    const server = await startTestServer({ DATABASE_URL: databasePath }, {}, { keepSqlite: true });
    try {
      await createConfirmedUser(server, 'while-serving@example.com');
      const before = fileChecksums(databasePath, ['audit_events']);
      const refused = await run('restore', labelled);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, new RegExp(`server \\(pid ${process.pid}\\) is running on this database`));
      assert.deepEqual(fileChecksums(databasePath, ['audit_events']), before, 'nothing changed');

      const forced = await run('restore', labelled, '--force');
      assert.equal(forced.code, 0, forced.stderr);
      assert.match(forced.stdout, new RegExp(`Restart the server \\(pid ${process.pid}\\) now`));
    } finally {
      await server.close();
    }
    assert.deepEqual(emails(), ['cli.admin@example.com']);
    // Once the server has stopped, its pid file is gone: a restore goes through without --force.
    assert.equal((await run('restore', labelled)).code, 0);
  });

  test('db restore with a name that is not a backup name, or of no backup: refused', async () => {
    const traversal = await run('restore', '../gatehouse.db');
    assert.equal(traversal.code, 1);
    assert.match(traversal.stderr, /name: Not a backup name/);
    const missing = await run('restore', 'gatehouse-20200101T000000000Z-00000000.db');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Backup not found/);
    const unknown = await run('nope');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown db command "nope"/);
  });

  test('db check: exit 0 for a good file, 1 with the reason for a bad one; nothing changes', async () => {
    const good = join(dir, 'copy.db');
    copyFileSync(join(dir, 'backups', labelled), good);
    const before = fileChecksums(good);
    const ok = await run('check', good);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^OK: .*copy\.db is a Gatehouse database that passes its integrity check/);
    assert.match(ok.stdout, /Its schema is current\./);
    assert.deepEqual(fileChecksums(good), before);

    const text = join(dir, 'notes.db');
    writeFileSync(text, 'not a database');
    const notSqlite = await run('check', text);
    assert.equal(notSqlite.code, 1);
    assert.match(notSqlite.stderr, /^Refused \(NOT_SQLITE\): /);
    const other = await run('check', otherAppDatabase(join(dir, 'other.db')));
    assert.equal(other.code, 1);
    assert.match(other.stderr, /^Refused \(INCOMPATIBLE_SCHEMA\): /);
    const absent = await run('check', join(dir, 'absent.db'));
    assert.equal(absent.code, 1);
    assert.match(absent.stderr, /No such file/);
  });
});

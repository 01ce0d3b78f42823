// The small parts the operations stand on, tested on their own: the one "SQLite only" check (and
// its PostgreSQL answer), temporary files of dead processes, server pid files, and the gate that
// holds requests while the database is swapped.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { removeStaleTempFiles, sqliteFile, tempFile } from '../../src/database/files.ts';
import { UnsupportedDatabaseError } from '../../src/database/errors.ts';
import { holdServerPidFile, runningServers } from '../../src/database/lock.ts';
import { DatabaseGate } from '../../src/database/gate.ts';

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  assert.equal(child.status, 0);
  return child.pid!;
}

describe('database administration building blocks', () => {
  test('only SQLite files: a PostgreSQL URL answers UNSUPPORTED_DATABASE naming pg_dump and pg_restore', () => {
    for (const url of ['postgres://gatehouse@db/gatehouse', 'postgresql://db/gatehouse']) {
      assert.throws(
        () => sqliteFile({ databasePath: url }),
        (error: unknown) => error instanceof UnsupportedDatabaseError && error.code === 'UNSUPPORTED_DATABASE' && /pg_dump/.test(error.message) && /pg_restore/.test(error.message),
      );
    }
    assert.throws(() => sqliteFile({ databasePath: ':memory:' }), UnsupportedDatabaseError);
    assert.equal(sqliteFile({ databasePath: '/srv/gatehouse/data.db' }), '/srv/gatehouse/data.db');
  });

  test('configuration: backups beside the database by default; BACKUP_DIR, BACKUP_INTERVAL, BACKUP_KEEP, MAX_UPLOAD_MB checked', () => {
    const defaults = loadConfig({});
    assert.deepEqual(defaults.backup, { dir: join('data', 'backups'), intervalMs: null, keep: 7, maxUploadBytes: 512 * 1024 * 1024 });
    assert.equal(loadConfig({ DATABASE_URL: '/srv/g/gatehouse.db' }).backup.dir, '/srv/g/backups');
    const set = loadConfig({ BACKUP_DIR: '/backups', BACKUP_INTERVAL: '6h', BACKUP_KEEP: '3', MAX_UPLOAD_MB: '64' });
    assert.deepEqual(set.backup, { dir: '/backups', intervalMs: 6 * 3600_000, keep: 3, maxUploadBytes: 64 * 1024 * 1024 });
    for (const [name, value] of [['BACKUP_INTERVAL', 'often'], ['BACKUP_KEEP', '0'], ['MAX_UPLOAD_MB', '1.5'], ['MAX_UPLOAD_MB', '-1']]) {
      assert.throws(() => loadConfig({ [name!]: value! }), (error: unknown) => error instanceof ConfigError && error.message.includes(`${name}:`), `${name}=${value}`);
    }
  });

  test('temporary files of dead processes are removed at start; those of live ones and other files stay', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-temp-'));
    try {
      const mine = tempFile(dir, 'gatehouse.db', 'restore');
      const dead = join(dir, `.gatehouse.db.upload-${deadPid()}-0123456789ab.tmp`);
      const deadWal = `${join(dir, `.gatehouse.db.restore-${deadPid()}-0123456789ab.tmp`)}-wal`;
      for (const file of [mine, dead, deadWal, join(dir, 'gatehouse.db'), join(dir, 'notes.tmp')]) writeFileSync(file, 'x');
      assert.deepEqual(removeStaleTempFiles(dir).sort(), [dead, deadWal].map((f) => f.slice(dir.length + 1)).sort());
      assert.deepEqual(readdirSync(dir).sort(), ['gatehouse.db', 'notes.tmp', mine.slice(dir.length + 1)].sort());
      assert.deepEqual(removeStaleTempFiles(join(dir, 'absent')), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a server pid file marks the database as served while its process lives; a stale one is removed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pid-'));
    try {
      const db = join(dir, 'gatehouse.db');
      const release = holdServerPidFile(db, new Date());
      // Our own process is never "another server".
      assert.deepEqual(runningServers(db), []);
      const other = process.ppid;
      writeFileSync(join(dir, `.gatehouse.db.server-${other}.pid`), '{}');
      const stale = join(dir, `.gatehouse.db.server-${deadPid()}.pid`);
      writeFileSync(stale, '{}');
      assert.deepEqual(runningServers(db), [other]);
      assert.ok(!existsSync(stale));
      release();
      assert.ok(!readdirSync(dir).includes(`.gatehouse.db.server-${process.pid}.pid`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('the gate', () => {
    const later = () => new Promise((resolve) => setImmediate(resolve));

    test('a swap waits for the requests inside, holds new ones until it is done, then lets them in', async () => {
      const gate = new DatabaseGate();
      const order: string[] = [];
      let finishInside!: () => void;
      const inside = gate.run(() => new Promise<void>((resolve) => (finishInside = resolve)).then(() => void order.push('inside done')));
      await later();
      const swap = gate.exclusive(10_000, async (stragglers) => {
        order.push(`swap (${stragglers} stragglers)`);
      });
      await later();
      assert.ok(gate.closed);
      const held = gate.run(async () => void order.push('held request'));
      await later();
      assert.deepEqual(order, []);
      finishInside();
      await Promise.all([inside, swap, held]);
      assert.deepEqual(order, ['inside done', 'swap (0 stragglers)', 'held request']);
      assert.equal(gate.inside, 0);
    });

    test('a swap started by a request does not wait for that request; a stuck request is waited for a bounded time', async () => {
      const gate = new DatabaseGate();
      const result = await gate.run(() => gate.exclusive(10_000, async (stragglers) => stragglers));
      assert.equal(result, 0);
      const stuck = await gate.enter();
      assert.equal(await gate.exclusive(20, async (stragglers) => stragglers), 1);
      gate.leave(stuck);
    });

    test('a request waiting outside the gate (for the queue) is not waited for', async () => {
      const gate = new DatabaseGate();
      let release!: () => void;
      const waiting = gate.run(() => gate.outside(() => new Promise<void>((resolve) => (release = resolve))));
      await later();
      assert.equal(gate.inside, 0);
      assert.equal(await gate.exclusive(10_000, async (stragglers) => stragglers), 0);
      release();
      await waiting;
      assert.equal(gate.inside, 0);
    });
  });
});

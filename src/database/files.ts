// The files of database administration: which database file the operations apply to (the one place
// that says "SQLite only"), temporary files named after the process that owns them, and the fsyncs
// that make a rename durable.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readdirSync, rmSync } from 'node:fs';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Config } from '../config/index.ts';
import { UnsupportedDatabaseError } from './errors.ts';
import { dialectOf } from '../config/dialect.ts';

/**
 * The live database file. Backups, restores, uploads and downloads copy and replace a SQLite file;
 * on a database server they answer UNSUPPORTED_DATABASE instead, naming the server's own tools.
 */
export function sqliteFile(config: Pick<Config, 'databasePath'>): string {
  const path = config.databasePath;
  if (dialectOf(path) === 'postgresql') {
    throw new UnsupportedDatabaseError(
      'Gatehouse backs up, restores, uploads and downloads SQLite databases only. On PostgreSQL use pg_dump to back up and download, and pg_restore to restore.',
    );
  }
  if (path === ':memory:' || path === '') throw new UnsupportedDatabaseError('An in-memory database has no file to back up or replace.');
  return resolve(path);
}

/**
 * A temporary file in `dir`: `.<base>.<purpose>-<pid>-<random>.tmp`. The pid lets a later start
 * remove what a dead process left behind without touching a live one's.
 */
export function tempFile(dir: string, base: string, purpose: string): string {
  return join(dir, `.${base}.${purpose}-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
}

const TEMP = /^\.(.+)\.[a-z]+-(\d+)-[0-9a-f]{12}\.tmp(-journal|-wal|-shm)?$/;

/**
 * Where an uploaded file part is written: beside the database (so accepting it is a rename on the
 * same file system), or the system's temporary folder when the database is not a SQLite file.
 */
export function uploadTempFile(config: Pick<Config, 'databasePath'>): string {
  let live: string;
  try {
    live = sqliteFile(config);
  } catch {
    // Not SQLite: multipart requests still work, their files just have no database to sit beside.
    return tempFile(tmpdir(), 'gatehouse', 'upload');
  }
  return tempFile(dirname(live), basename(live), 'upload');
}

/** Removes the temporary files (and their SQLite side files) that dead processes left in `dir`. */
export function removeStaleTempFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    // No folder yet: nothing was ever left there.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = TEMP.exec(name);
    if (!match || isProcessAlive(Number(match[2]))) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/** True when a process with this id exists (on this machine: a pid says nothing across containers). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a rename or unlink in `dir` survive a power loss. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes a small file so that a reader sees the old content or the new, never half of it. */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const temp = tempFile(dirname(path), basename(path), 'write');
  try {
    await writeFile(temp, content, { flush: true });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  fsyncDir(dirname(path));
}

/** SQLite's files beside a database: the WAL, its shared-memory index, the rollback journal. */
export function sideFiles(path: string): string[] {
  return [`${path}-wal`, `${path}-shm`, `${path}-journal`];
}

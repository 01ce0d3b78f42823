// Replaces the live database file with a validated candidate, without a restart and so that a
// crash at any moment leaves either the old database or the new one, whole:
//   1. checkpoint the WAL into the main file and leave WAL mode (which needs, and so proves, that
//      no other connection has the file open; leaving WAL removes the -wal and -shm);
//   2. close the connection (the old file is now complete on its own);
//   3. remove any -wal/-shm/-journal left beside it (an old WAL replayed onto a new file corrupts it);
//   4. rename the candidate (fsynced, self-contained) over the database, fsync the folder;
//   5. open the new file (WAL again, migrations: none left, the candidate was migrated).
// Until the rename the old file is whole; from the rename on, the new one is.
import { rm, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { entitiesOf, openDatabase, type Orm } from '../db/orm.ts';
import { DatabaseInUseError } from './errors.ts';
import { fsyncDir, sideFiles } from './files.ts';

/** How long leaving WAL mode may wait for another connection's lock before giving up. */
const EXCLUSIVE_WAIT_MS = 1_000;
/** The connection's usual busy timeout (src/db/orm.ts). */
const BUSY_TIMEOUT_MS = 5_000;

export interface SwapTarget {
  orm: Orm;
  logger: Logger;
}

/**
 * Swaps `candidatePath` into `livePath` and sets `target.orm` to a connection on the new file.
 * `force` goes ahead when another process holds the database (the command line's --force): that
 * process keeps the old file open and must be restarted. Throws DatabaseInUseError otherwise,
 * with the old database still open and unchanged.
 */
export async function swapDatabaseFile(target: SwapTarget, livePath: string, candidatePath: string, force: boolean): Promise<void> {
  await leaveWalMode(target, force);
  const old = target.orm;
  const entities = entitiesOf(old);
  await retire(old);
  try {
    for (const file of sideFiles(livePath)) await rm(file, { force: true });
    await rename(candidatePath, livePath);
    fsyncDir(dirname(livePath));
  } finally {
    // After a failed rename this reopens the old file, which is still whole.
    target.orm = await openDatabase(livePath, entities);
  }
}

async function leaveWalMode(target: SwapTarget, force: boolean): Promise<void> {
  const connection = target.orm.em.getConnection();
  await connection.execute(`pragma busy_timeout = ${EXCLUSIVE_WAIT_MS}`);
  let mode: unknown;
  try {
    await connection.execute('pragma wal_checkpoint(TRUNCATE)');
    const rows = await connection.execute<Array<{ journal_mode: string }>>('pragma journal_mode = delete');
    mode = rows[0]?.journal_mode;
  } catch (error) {
    // SQLITE_BUSY / SQLITE_LOCKED: someone else holds the file, or a transaction is still open here.
    mode = (error as { code?: string }).code ?? (error as Error).message;
  } finally {
    await connection.execute(`pragma busy_timeout = ${BUSY_TIMEOUT_MS}`).catch(() => undefined);
  }
  if (mode === 'delete') return;
  if (!force) {
    await connection.execute('pragma journal_mode = wal').catch(() => undefined);
    throw new DatabaseInUseError();
  }
  target.logger.warn({ mode }, 'replacing the database although another process has it open (--force)');
}

/**
 * Closes an ORM for good. A closed MikroORM reconnects on its next query, which would reopen (or
 * recreate) the database path in the middle of the swap; pointing it at a path that cannot exist
 * makes a late query from a straggling request fail instead.
 */
async function retire(orm: Orm): Promise<void> {
  await orm.close();
  orm.config.set('dbName', join('/nonexistent', 'gatehouse-database-was-replaced', 'closed.db'));
}

// The worker thread that does the long SQLite work (online backups, integrity checks) on its own
// better-sqlite3 connections, so the server's event loop never waits for it. Messages in:
// { id, task }; out: { id, result } or { id, error: { message, sqliteCode } }.
import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { WorkerReply, WorkerTask, InspectResult } from './worker-protocol.ts';

/** sqlite3_backup_step's page count per step: everything at once (see backup below). */
const ALL_PAGES = 0x7fffffff;

/**
 * An online backup of `source` into the new file `dest`, through the SQLite backup API. The copy is
 * made in one step, i.e. in one read transaction: a consistent snapshot, while the server keeps
 * writing through the WAL (a stepped copy would restart after every write from another connection
 * and might never finish). The copy is then turned into a self-contained rollback-journal file.
 */
async function backup(source: string, dest: string): Promise<{ bytes: number }> {
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    await db.backup(dest, { progress: () => ALL_PAGES });
  } finally {
    db.close();
  }
  const copy = new Database(dest, { fileMustExist: true });
  try {
    // The copied header says WAL when the source is; a backup file must need no -wal beside it.
    copy.pragma('journal_mode = delete');
    const pageCount = copy.pragma('page_count', { simple: true }) as number;
    const pageSize = copy.pragma('page_size', { simple: true }) as number;
    return { bytes: pageCount * pageSize };
  } finally {
    copy.close();
  }
}

/** What the validation of a candidate file needs to know, read without changing the file. */
function inspect(path: string, quick: boolean): InspectResult {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    // A file from elsewhere may carry triggers or views with functions: never run them here.
    db.pragma('trusted_schema = off');
    const rows = db.prepare(quick ? 'pragma quick_check(20)' : 'pragma integrity_check(20)').all() as Array<Record<string, string>>;
    const problems = rows.map((row) => String(Object.values(row)[0])).filter((line) => line !== 'ok');
    if (problems.length) return { problems, tables: [], migrations: null };
    const tables = (db.prepare("select name from sqlite_schema where type = 'table'").all() as Array<{ name: string }>).map((r) => r.name);
    return { problems: [], tables, migrations: tables.includes('mikro_orm_migrations') ? appliedMigrations(db) : null };
  } finally {
    db.close();
  }
}

/** The names in mikro_orm_migrations, or null when that table is not the one MikroORM makes. */
function appliedMigrations(db: Database.Database): string[] | null {
  try {
    return (db.prepare('select name from mikro_orm_migrations order by id').all() as Array<{ name: unknown }>).map((r) => String(r.name));
  } catch {
    // A table of that name without `id` and `name` columns: not Gatehouse's (the caller says so).
    return null;
  }
}

async function run(task: WorkerTask): Promise<unknown> {
  switch (task.kind) {
    case 'backup':
      return backup(task.source, task.dest);
    case 'inspect':
      return inspect(task.path, task.quick);
  }
}

parentPort!.on('message', async ({ id, task }: { id: number; task: WorkerTask }) => {
  let reply: WorkerReply;
  try {
    reply = { id, result: await run(task) };
  } catch (error) {
    const err = error as Error & { code?: unknown };
    reply = { id, error: { message: err.message, sqliteCode: typeof err.code === 'string' ? err.code : null } };
  }
  parentPort!.postMessage(reply);
});

// Turns a file that should become the database (a backup, an upload) into a validated,
// self-contained copy beside the live database, ready to be renamed over it. Checks, in order:
// the SQLite header, the size the header claims, integrity_check (quick_check for large files),
// a Gatehouse migration table this version knows, then the migrations themselves and every table
// and column the entities need. A file failing any check is deleted; the live database is untouched.
import { copyFile, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { ReferenceKind } from '@mikro-orm/core';
import { openDatabase, type EntityList, type Orm } from '../db/orm.ts';
import { migrations as knownMigrations } from '../db/migrations/index.ts';
import { CorruptDatabaseError, IncompatibleSchemaError, NotSqliteError } from './errors.ts';
import { fsyncFile, sideFiles, tempFile } from './files.ts';
import { WorkerSqliteError, type DatabaseWorker } from './worker-client.ts';

const HEADER = Buffer.from('SQLite format 3\0', 'latin1');
/** Above this size the candidate gets quick_check (O(N)) instead of integrity_check (O(N log N)). */
export const QUICK_CHECK_ABOVE_BYTES = 128 * 1024 * 1024;
/** Tables without which a file cannot be a Gatehouse database at any migration level. */
const CORE_TABLES = ['mikro_orm_migrations', 'users', 'sessions'];

export interface Candidate {
  /** The validated copy beside the live database (`.<db>.restore-….tmp`). */
  path: string;
  sizeBytes: number;
  /** Migrations the candidate lacked and now has. */
  migrationsApplied: string[];
}

/**
 * Copies (or moves, for a temporary upload) `source` beside `livePath` and validates the copy.
 * Throws NotSqliteError, CorruptDatabaseError or IncompatibleSchemaError.
 */
export async function prepareCandidate(
  worker: DatabaseWorker,
  livePath: string,
  source: { path: string; move: boolean },
  entities: EntityList,
): Promise<Candidate> {
  const path = tempFile(dirname(livePath), basename(livePath), 'restore');
  try {
    await place(source, path);
    const sizeBytes = await checkHeader(path);
    const applied = await checkContent(worker, path, sizeBytes);
    const migrationsApplied = await migrate(path, applied, entities);
    await fsyncFile(path);
    return { path, sizeBytes: (await stat(path)).size, migrationsApplied };
  } catch (error) {
    await discardCandidate(path);
    throw error;
  }
}

export async function discardCandidate(path: string): Promise<void> {
  for (const file of [path, ...sideFiles(path)]) await rm(file, { force: true });
}

async function place(source: { path: string; move: boolean }, dest: string): Promise<void> {
  if (source.move) {
    try {
      await rename(source.path, dest);
      return;
    } catch (error) {
      // Another file system: copy instead (the upload's temporary file is removed by its owner).
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    }
  }
  await copyFile(source.path, dest);
}

/** The header: magic string, and a size that fits the file (a cut-off download fails here). */
async function checkHeader(path: string): Promise<number> {
  const file = await open(path, 'r+');
  try {
    const size = (await file.stat()).size;
    const header = Buffer.alloc(100);
    const { bytesRead } = await file.read(header, 0, 100, 0);
    if (bytesRead < 100 || !header.subarray(0, 16).equals(HEADER)) throw new NotSqliteError();
    const rawPageSize = header.readUInt16BE(16);
    const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
    if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) throw new CorruptDatabaseError('the header has an invalid page size.');
    // The page count in the header is valid when its "version-valid-for" matches the change counter.
    const pages = header.readUInt32BE(28);
    if (pages > 0 && header.readUInt32BE(92) === header.readUInt32BE(24) && pages * pageSize > size) {
      throw new CorruptDatabaseError(`the file is truncated (${size} bytes; its header says ${pages * pageSize}).`);
    }
    // A WAL database copied alone: mark it as a rollback-journal file (as SQLite does when leaving
    // WAL), so it opens read-only without a -wal beside it. Missing WAL content shows as corruption below.
    if (header[18] === 2 || header[19] === 2) await file.write(Buffer.from([1, 1]), 0, 2, 18);
    return size;
  } finally {
    await file.close();
  }
}

/** Integrity and the migration level; returns the migrations the candidate has. */
async function checkContent(worker: DatabaseWorker, path: string, sizeBytes: number): Promise<string[]> {
  let result;
  try {
    result = await worker.inspect(path, sizeBytes > QUICK_CHECK_ABOVE_BYTES);
  } catch (error) {
    // SQLite refusing to read the file is a verdict on the file; anything else (a full disk) is not.
    if (error instanceof WorkerSqliteError && /^SQLITE_(CORRUPT|NOTADB|FORMAT)/.test(error.sqliteCode ?? '')) throw new CorruptDatabaseError(error.message);
    throw error;
  }
  if (result.problems.length) throw new CorruptDatabaseError(result.problems.slice(0, 3).join('; '));
  const missing = CORE_TABLES.filter((table) => !result.tables.includes(table));
  if (missing.length) throw new IncompatibleSchemaError(`it is not a Gatehouse database (no table ${missing.join(', ')}).`);
  if (result.migrations === null) throw new IncompatibleSchemaError('its mikro_orm_migrations table is not the one Gatehouse keeps.');
  const known = new Set(knownMigrations.map((m) => m.name));
  const unknown = result.migrations.filter((name) => !known.has(name));
  if (unknown.length) {
    throw new IncompatibleSchemaError(`it was made by a newer Gatehouse (migrations this version does not know: ${unknown.slice(0, 3).join(', ')}). Upgrade Gatehouse first.`);
  }
  if (!result.migrations.includes(knownMigrations[0]!.name)) throw new IncompatibleSchemaError('its migration table lacks the initial migration.');
  return result.migrations;
}

/**
 * Brings the candidate to this version's schema before it replaces anything, so the swap never
 * fails halfway on a migration; then checks every table and column the entities map.
 */
async function migrate(path: string, applied: string[], entities: EntityList): Promise<string[]> {
  let orm: Orm;
  try {
    orm = await openDatabase(path, entities);
  } catch (error) {
    throw new IncompatibleSchemaError(`its migrations failed: ${(error as Error).message}`);
  }
  try {
    const problems = await missingColumns(orm);
    if (problems.length) throw new IncompatibleSchemaError(`it lacks ${problems.slice(0, 5).join(', ')}.`);
    // Back to a single self-contained file (this checkpoints and removes the -wal).
    await orm.em.getConnection().execute('pragma journal_mode = delete');
  } finally {
    await orm.close();
  }
  return knownMigrations.map((m) => m.name).filter((name) => !applied.includes(name));
}

async function missingColumns(orm: Orm): Promise<string[]> {
  const connection = orm.em.getConnection();
  const problems: string[] = [];
  for (const meta of orm.getMetadata().getAll().values()) {
    if (!meta.tableName || meta.virtual || meta.embeddable) continue;
    const columns = new Set(
      (await connection.execute<Array<{ name: string }>>(`select name from pragma_table_info(?)`, [meta.tableName])).map((c) => c.name),
    );
    if (!columns.size) {
      problems.push(`table ${meta.tableName}`);
      continue;
    }
    for (const prop of Object.values(meta.props)) {
      const stored = prop.kind === ReferenceKind.SCALAR || prop.kind === ReferenceKind.MANY_TO_ONE || (prop.kind === ReferenceKind.ONE_TO_ONE && prop.owner);
      if (!stored || prop.persist === false) continue;
      for (const field of prop.fieldNames ?? []) if (!columns.has(field)) problems.push(`column ${meta.tableName}.${field}`);
    }
  }
  return problems;
}

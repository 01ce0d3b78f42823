// Hand-written SQL for the few lookups every authenticated request makes (session and token by
// hash). MikroORM's findOne builds, compiles and prepares its query anew each time (≈ 0.9 ms here);
// a statement prepared once and kept costs a few microseconds, and `entityFromRow` turns a row
// into a managed entity the way findOne does. On SQLite the statements are better-sqlite3's; on
// PostgreSQL they are named prepared statements of each pooled connection (postgresql-statements.ts).
import type { EntityName } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/sql';
import type { Pool } from 'pg';
import { findPgRow, runPgStatement, type PgTransaction } from './postgresql-statements.ts';

type Row = Record<string, unknown>;

interface NativeStatement {
  get(...params: unknown[]): Row | undefined;
  run(...params: unknown[]): { changes: number };
}
interface NativeDatabase {
  prepare(sql: string): NativeStatement;
  /** better-sqlite3: whether a transaction is open on the connection. */
  readonly inTransaction: boolean;
  /** better-sqlite3: false once the database is closed (a new one is then fetched). */
  readonly open: boolean;
}

const statements = new WeakMap<NativeDatabase, Map<string, NativeStatement>>();
/** Each connection's better-sqlite3 database, or its pg pool (PostgreSQL). */
const nativeClients = new WeakMap<object, NativeDatabase | Pool>();

function prepared(db: NativeDatabase, sql: string): NativeStatement {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  let statement = cache.get(sql);
  if (!statement) cache.set(sql, (statement = db.prepare(sql)));
  return statement;
}

const isSqlite = (client: NativeDatabase | Pool): client is NativeDatabase => typeof (client as Partial<NativeDatabase>).prepare === 'function';
/** Closed (better-sqlite3) or ended (pg) clients are replaced by the connection's current one. */
const isClosed = (client: NativeDatabase | Pool) => (isSqlite(client) ? !client.open : client.ending);

async function fetchNativeClient(connection: ReturnType<EntityManager['getConnection']>): Promise<NativeDatabase | Pool> {
  const client = (await connection.getNativeClient()) as NativeDatabase | Pool;
  nativeClients.set(connection, client);
  return client;
}

/** The connection's client as last fetched, or undefined when it was never fetched or has closed since. */
function knownClient(connection: ReturnType<EntityManager['getConnection']>): NativeDatabase | Pool | undefined {
  const client = nativeClients.get(connection);
  return client === undefined || isClosed(client) ? undefined : client;
}

const pgTransactionOf = (em: EntityManager) => (em.isInTransaction() ? (em.getTransactionContext() as PgTransaction) : undefined);

/**
 * One row for a query with `?` placeholders, or undefined. A statement never reads into another
 * request's open transaction, and inside a transaction it goes through the transaction's
 * connection. On SQLite, once the connection's database is known, no await comes before the row.
 */
export async function findRow(em: EntityManager, sql: string, params: unknown[]): Promise<Row | undefined> {
  const connection = em.getConnection();
  const client = knownClient(connection) ?? (await fetchNativeClient(connection));
  if (!isSqlite(client)) return findPgRow(client, pgTransactionOf(em), sql, params);
  if (em.isInTransaction()) return (await connection.execute<Row[]>(sql, params, 'all', em.getTransactionContext()))[0];
  // better-sqlite3 runs a statement synchronously: with no transaction open on the connection,
  // none can begin before the statement ends, so it reads committed data at once. While another
  // request's transaction is open, it waits for the connection like any query (after the commit).
  if (!client.inTransaction) return prepared(client, sql).get(...params);
  return connection
    .getClient()
    .connection()
    .execute(async () => prepared(client, sql).get(...params));
}

/**
 * Runs a hand-written write (`?` placeholders) the way findRow runs a lookup, and returns how many
 * rows it changed: for the few writes of a sign-in (a conditional update that uses a code or a
 * challenge once), which MikroORM's nativeUpdate builds and compiles anew each time (≈ 0.35 ms here).
 * Dates are bound as MikroORM stores them: milliseconds on SQLite, timestamps on PostgreSQL.
 */
export async function runStatement(em: EntityManager, sql: string, params: unknown[]): Promise<number> {
  const connection = em.getConnection();
  const client = knownClient(connection) ?? (await fetchNativeClient(connection));
  if (!isSqlite(client)) return runPgStatement(client, pgTransactionOf(em), sql, params);
  const values = params.map((value) => (value instanceof Date ? value.getTime() : typeof value === 'boolean' ? Number(value) : value));
  if (em.isInTransaction()) {
    return (await connection.execute<{ affectedRows: number }>(sql, values, 'run', em.getTransactionContext())).affectedRows;
  }
  if (!client.inTransaction) return prepared(client, sql).run(...values).changes;
  return connection
    .getClient()
    .connection()
    .execute(async () => prepared(client, sql).run(...values).changes);
}

/**
 * Splits a joined row into the columns read under `prefix` (as `<prefix>column`, prefix removed),
 * the entity's (no `$` in the name; e.g. a session's user, for entityFromRow), and the columns of
 * other prefixes (further joins) as they are.
 */
function splitRow(row: Row, prefix: string): { own: Row; rest: Row; joined: Row } {
  const own: Row = {};
  const rest: Row = {};
  const joined: Row = {};
  for (const key in row) {
    if (key.startsWith(prefix)) own[key.slice(prefix.length)] = row[key];
    else if (key.includes('$')) joined[key] = row[key];
    else rest[key] = row[key];
  }
  return { own, rest, joined };
}

/**
 * A managed entity from a database row, hydrated exactly as `em.findOne` hydrates its result
 * (column names to properties, then the entity factory, which registers it with its snapshot).
 * `em.map` would also re-compute the snapshot and cascade a merge: a third more time per request.
 */
export function entityFromRow<T extends object>(em: EntityManager, entityName: EntityName<T>, row: Row): T {
  const data = em.getDriver().mapResult(row as never, em.getMetadata().get(entityName));
  return em.getEntityFactory().create(entityName, data as never, { merge: true, convertCustomTypes: true });
}

/**
 * One row joined with an owning entity (`<prefix>column` for the row's own columns, the entity's
 * columns unprefixed), read with a prepared lookup: the own columns, the entity hydrated, and the
 * columns of other prefixes (`other$column`, from further joins) as read.
 */
export async function findJoinedRow<T extends object>(
  em: EntityManager,
  entityName: EntityName<T>,
  prefix: string,
  sql: string,
  params: unknown[],
): Promise<{ own: Row; entity: T; joined: Row } | null> {
  const row = await findRow(em, sql, params);
  if (!row) return null;
  const { own, rest, joined } = splitRow(row, prefix);
  return { own, entity: entityFromRow(em, entityName, rest), joined };
}

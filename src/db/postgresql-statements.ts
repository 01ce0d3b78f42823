// The hand-written lookups (hot-queries.ts) on PostgreSQL, as named prepared statements: each
// connection parses and plans a lookup once and afterwards only binds its parameters, which travel
// apart from the SQL text. (MikroORM's `connection.execute` inlines escaped values into new SQL text
// on every call, which the server parses and plans anew.)
import { createHash } from 'node:crypto';
import type { Pool, QueryConfig } from 'pg';

type Row = Record<string, unknown>;

/**
 * A MikroORM transaction context on PostgreSQL (a Kysely transaction): it runs a query on the
 * transaction's own connection, handing the query's `sql` to pg's `client.query` as it is, so a
 * `{ name, text }` query config arrives there intact (test/db/hot-queries.test.ts checks this).
 */
export interface PgTransaction {
  executeQuery(query: { sql: unknown; parameters: readonly unknown[] }): Promise<{ rows: Row[]; numAffectedRows?: bigint }>;
}

interface Statement {
  /** `gatehouse_<hash of the text>`: one name per SQL text, the same in every instance. */
  base: string;
  text: string;
  name: string;
  generation: number;
}

const statements = new Map<string, Statement>();

/**
 * Part of every statement name. PostgreSQL refuses to run a prepared statement whose result
 * columns changed since it was prepared (SQLSTATE 0A000, "cached plan must not change result
 * type"), e.g. `u.*` after another instance's migration added a column; a new generation makes
 * every connection prepare the lookups afresh under new names.
 */
let generation = 0;
const RESULT_TYPE_CHANGED = '0A000';

/** The statement for SQL written with `?` placeholders (the lookups have no literal `?`). */
function statementFor(sql: string): Statement {
  let statement = statements.get(sql);
  if (!statement) {
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    const base = `gatehouse_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
    statements.set(sql, (statement = { base, text, name: `${base}_${generation}`, generation }));
  }
  if (statement.generation !== generation) {
    statement.generation = generation;
    statement.name = `${statement.base}_${generation}`;
  }
  return statement;
}

/** A fresh config each time: pg's client.query stores the values on the object it is given. */
function queryConfig(statement: Statement, params: unknown[]): QueryConfig {
  return { name: statement.name, text: statement.text, values: params };
}

async function firstRow(pool: Pool, tx: PgTransaction | undefined, statement: Statement, params: unknown[]): Promise<Row | undefined> {
  if (tx) return (await tx.executeQuery({ sql: { name: statement.name, text: statement.text }, parameters: params })).rows[0];
  return (await pool.query<Row>(queryConfig(statement, params))).rows[0];
}

/**
 * One row of a lookup, or undefined: through the pool, or inside a transaction on the
 * transaction's connection.
 */
export async function findPgRow(pool: Pool, tx: PgTransaction | undefined, sql: string, params: unknown[]): Promise<Row | undefined> {
  const statement = statementFor(sql);
  const used = statement.generation;
  try {
    return await firstRow(pool, tx, statement, params);
  } catch (error) {
    if ((error as { code?: string }).code !== RESULT_TYPE_CHANGED) throw error;
    if (generation === used) generation++;
    // An error aborts the transaction, so only a lookup outside one can be retried; inside one the
    // caller sees the error once and the next lookup prepares the new statement.
    if (tx) throw error;
    return firstRow(pool, undefined, statementFor(sql), params);
  }
}

/** A write's count of changed rows: through the pool, or inside a transaction on its connection. */
export async function runPgStatement(pool: Pool, tx: PgTransaction | undefined, sql: string, params: unknown[]): Promise<number> {
  const statement = statementFor(sql);
  if (tx) {
    const result = await tx.executeQuery({ sql: { name: statement.name, text: statement.text }, parameters: params });
    return Number(result.numAffectedRows ?? 0);
  }
  return (await pool.query(queryConfig(statement, params))).rowCount ?? 0;
}

// Which database and event backends the tests run on. By default every test server gets a fresh
// SQLite file. With TEST_DATABASE_URL (a PostgreSQL server where we may create databases) and
// TEST_REDIS_URL, the same tests run on PostgreSQL + Redis: each server gets its own database and
// its own Redis key prefix. `eval "$(scripts/test-backends.sh start)"` starts both on loopback.
import { createHash } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { dialectOf } from '../../src/config/dialect.ts';
import { dropDatabase, ensureDatabase, withPgClient } from '../../src/db/postgresql-admin.ts';

export const POSTGRES_ADMIN_URL = process.env.TEST_DATABASE_URL || null;
export const REDIS_URL = process.env.TEST_REDIS_URL || null;
export const TEST_DIALECT: 'sqlite' | 'postgresql' = POSTGRES_ADMIN_URL ? 'postgresql' : 'sqlite';

export interface TestDatabase {
  /** What DATABASE_URL (and REDIS_*) the server or command gets. */
  env: Record<string, string>;
  /** Drops what was made only for this server (not a database a later server reopens). */
  release(): Promise<void>;
}

/**
 * The backends for one server. `sqlitePath` is the file a test asked for; on PostgreSQL the same
 * path always maps to the same database, so a test restarting a server on "its file" (or running
 * the command line against it) finds its data again. `keepSqlite` keeps a real SQLite file for
 * what only exists there (backup, restore, upload, download).
 */
export async function testDatabase(sqlitePath: string, options: { fresh: boolean; keepSqlite?: boolean | undefined }): Promise<TestDatabase> {
  if (!POSTGRES_ADMIN_URL || options.keepSqlite || !isLocalPath(sqlitePath)) {
    return { env: { DATABASE_URL: sqlitePath }, release: async () => undefined };
  }
  const name = databaseNameFor(sqlitePath);
  const env = await testDatabaseEnvFor(sqlitePath);
  return {
    env,
    release: async () => {
      if (options.fresh) await dropDatabase(POSTGRES_ADMIN_URL, name);
    },
  };
}

/** The environment for a server or a command (CLI subprocess) on a test's file (created if new). */
export async function testDatabaseEnvFor(sqlitePath: string): Promise<Record<string, string>> {
  // A test server's own database URL (config.databasePath on PostgreSQL): the same database and key prefix.
  const own = /^postgres(ql)?:\/\/.*\/(gh_[0-9a-f]{24})$/.exec(sqlitePath);
  if (own) return { DATABASE_URL: sqlitePath, ...(REDIS_URL ? { REDIS_URL, REDIS_KEY_PREFIX: `${own[2]}:` } : {}) };
  if (!POSTGRES_ADMIN_URL || !isLocalPath(sqlitePath)) return { DATABASE_URL: sqlitePath };
  const name = databaseNameFor(sqlitePath);
  const env: Record<string, string> = { DATABASE_URL: await ensureDatabase(POSTGRES_ADMIN_URL, name) };
  if (REDIS_URL) Object.assign(env, { REDIS_URL, REDIS_KEY_PREFIX: `${name}:` });
  return env;
}

/** One database per file path (paths are under a test's own temporary folder). */
const databaseNameFor = (sqlitePath: string) => `gh_${createHash('sha256').update(sqlitePath).digest('hex').slice(0, 24)}`;

function isLocalPath(value: string): boolean {
  return isAbsolute(value.replace(/^file:(\/\/)?/, ''));
}

/**
 * Runs one statement through a connection of its own, as another process (a second server, a
 * script) would: nothing is published in the test's server. `?` placeholders on both dialects.
 */
export async function writeFromOutside(databasePath: string, sql: string, params: Array<string | number | null>): Promise<void> {
  if (dialectOf(databasePath) === 'postgresql') {
    let n = 0;
    await withPgClient(databasePath, (client) => client.query(sql.replace(/\?/g, () => `$${++n}`), params));
    return;
  }
  const outside = new DatabaseSync(databasePath);
  try {
    outside.prepare(sql).run(...params);
  } finally {
    outside.close();
  }
}

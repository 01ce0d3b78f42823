// Which database a DATABASE_URL names: postgres:// (or postgresql://) is PostgreSQL; anything else
// is an SQLite file path or file: URL. No dependencies, so config and tests can ask too.
// Also the PostgreSQL pool's default size, shared by config (DATABASE_POOL_SIZE) and orm.ts.
export type DatabaseDialect = 'sqlite' | 'postgresql';

export function dialectOf(location: string): DatabaseDialect {
  return /^postgres(ql)?:\/\//i.test(location) ? 'postgresql' : 'sqlite';
}

/** Connections per instance on PostgreSQL: its default max_connections (100) leaves room for several instances. */
export const DEFAULT_DATABASE_POOL_SIZE = 10;

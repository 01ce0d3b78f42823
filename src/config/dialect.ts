// Which database a DATABASE_URL names: postgres:// (or postgresql://) is PostgreSQL; anything else
// is an SQLite file path or file: URL. No dependencies, so config and tests can ask too.
export type DatabaseDialect = 'sqlite' | 'postgresql';

export function dialectOf(location: string): DatabaseDialect {
  return /^postgres(ql)?:\/\//i.test(location) ? 'postgresql' : 'sqlite';
}

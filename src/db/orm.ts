// MikroORM on the configured database. The default is an SQLite file (one better-sqlite3
// connection, WAL, busy timeout, foreign keys); a postgres:// URL selects PostgreSQL, for several
// instances on one database. Each dialect has its own migrations, applied at start.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EntityManager, MikroORM as SqlMikroORM, Options as SqlOptions } from '@mikro-orm/sql';
import { MikroORM as SqliteMikroORM } from '@mikro-orm/sqlite';
import { MikroORM as PostgreSqlMikroORM, PostgreSqlPlatform } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { DEFAULT_DATABASE_POOL_SIZE, dialectOf, type DatabaseDialect } from '../config/dialect.ts';
import { migrations as sqliteMigrations } from './migrations/index.ts';
import { migrations as postgresqlMigrations } from './migrations/postgresql/index.ts';

export type Orm = SqlMikroORM;

/** The entities an ORM maps: the application lists them (src/entities.ts); the database layer knows none. */
export type EntityList = NonNullable<SqlOptions['entities']>;

/** The entities an open ORM maps (a reopened or candidate database maps the same). */
export function entitiesOf(orm: Orm): EntityList {
  return orm.config.get('entities') as EntityList;
}

export function dialectOfOrm(orm: Orm): DatabaseDialect {
  return dialectOfEm(orm.em);
}

export function dialectOfEm(em: EntityManager): DatabaseDialect {
  return em.getPlatform() instanceof PostgreSqlPlatform ? 'postgresql' : 'sqlite';
}

function common(dialect: DatabaseDialect, entities: EntityList) {
  return {
    entities,
    extensions: [Migrator],
    migrations: {
      migrationsList: dialect === 'postgresql' ? postgresqlMigrations : sqliteMigrations,
      snapshot: false,
      snapshotOnMigrate: false,
      silent: true,
      transactional: true,
      allOrNothing: true,
    },
    debug: false,
    allowGlobalContext: false,
    // Off: with it, every scalar property of an entity becomes an accessor defined on each instance
    // as it is hydrated (two closures per property), which halves the speed of loading an entity,
    // e.g. the viewer on every authenticated request. Change detection compares snapshots either
    // way, and the unit of work still defines the accessors that relations with an inverse side need
    // when it registers an entity (none is declared here).
    propagationOnPrototype: false,
    forceUtcTimezone: true,
  };
}

export interface DatabaseOptions {
  /** PostgreSQL: the most connections the pool opens (config.databasePoolSize). */
  poolSize?: number;
}

export function ormOptions(location: string, entities: EntityList, options: DatabaseOptions = {}): SqlOptions {
  if (dialectOf(location) === 'postgresql') {
    return {
      ...common('postgresql', entities),
      clientUrl: location,
      pool: { min: 0, max: options.poolSize ?? DEFAULT_DATABASE_POOL_SIZE },
    } as SqlOptions;
  }
  return {
    ...common('sqlite', entities),
    dbName: location,
    // better-sqlite3 option: wait up to 5 s for a lock instead of failing with SQLITE_BUSY.
    driverOptions: { timeout: 5000 },
  } as SqlOptions;
}

/** Connects (creating an SQLite file's folder), applies SQLite's pragmas and pending migrations. */
export async function openDatabase(location: string, entities: EntityList, options: DatabaseOptions = {}): Promise<Orm> {
  const orm = await connectDatabase(location, entities, options);
  try {
    if (dialectOfOrm(orm) === 'sqlite') await applyPragmas(orm);
    await orm.migrator.up();
  } catch (error) {
    await orm.close();
    throw error;
  }
  return orm;
}

async function connectDatabase(location: string, entities: EntityList, options: DatabaseOptions): Promise<Orm> {
  if (dialectOf(location) === 'postgresql') return (await PostgreSqlMikroORM.init(ormOptions(location, entities, options) as never)) as unknown as Orm;
  if (location !== ':memory:') mkdirSync(dirname(location), { recursive: true });
  return (await SqliteMikroORM.init(ormOptions(location, entities) as never)) as unknown as Orm;
}

export async function applyPragmas(orm: Orm): Promise<void> {
  const connection = orm.em.getConnection();
  await connection.execute('pragma journal_mode = wal');
  await connection.execute('pragma synchronous = normal');
  await connection.execute('pragma foreign_keys = on');
}

/** True when the database answers a trivial query. */
export async function isDatabaseReady(orm: Orm): Promise<boolean> {
  try {
    await orm.em.getConnection().execute('select 1');
    return true;
  } catch {
    // Readiness reports the failure through its status code; the error itself is not actionable here.
    return false;
  }
}

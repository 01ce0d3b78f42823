// MikroORM on SQLite: one connection (better-sqlite3), WAL, busy timeout, foreign keys; migrations at start.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MikroORM, type Options } from '@mikro-orm/sqlite';
import { Migrator } from '@mikro-orm/migrations';
import { entities } from './entities.ts';
import { migrations } from './migrations/index.ts';

export type Orm = MikroORM;

export function ormOptions(databasePath: string): Options {
  return {
    dbName: databasePath,
    entities,
    extensions: [Migrator],
    // better-sqlite3 option: wait up to 5 s for a lock instead of failing with SQLITE_BUSY.
    driverOptions: { timeout: 5000 },
    migrations: {
      migrationsList: migrations,
      snapshot: false,
      snapshotOnMigrate: false,
      silent: true,
      transactional: true,
      allOrNothing: true,
    },
    debug: false,
    allowGlobalContext: false,
    forceUtcTimezone: true,
  };
}

/** Opens the database (creating its folder), applies pragmas and pending migrations. */
export async function openDatabase(databasePath: string): Promise<Orm> {
  if (databasePath !== ':memory:') mkdirSync(dirname(databasePath), { recursive: true });
  const orm = await MikroORM.init(ormOptions(databasePath));
  await applyPragmas(orm);
  await orm.migrator.up();
  return orm;
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

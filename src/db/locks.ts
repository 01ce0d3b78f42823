// Locks that hold across instances on one database. SQLite has a single writer, so a write
// transaction is already exclusive; on PostgreSQL an advisory lock makes a check-then-insert
// (e.g. "no account yet → create the first admin") safe when two instances run it at once.
import type { EntityManager } from '@mikro-orm/sql';
import { dialectOf } from '../config/dialect.ts';
import { dialectOfEm } from './orm.ts';
import { withPgClient } from './postgresql-admin.ts';

/** Key of a named lock in PostgreSQL's advisory lock space (a stable 32-bit hash). */
const LOCK_SQL = "select pg_advisory_xact_lock(hashtext('gatehouse:' || ?))";

/** Inside `tx` (a transaction): waits until no other transaction holds lock `name`; released at commit. */
export async function lockInTransaction(tx: EntityManager, name: string): Promise<void> {
  if (dialectOfEm(tx) === 'sqlite') return;
  await tx.getConnection().execute(LOCK_SQL, [name], 'all', tx.getTransactionContext());
}

/**
 * Runs `task` while holding lock `name` on a connection of its own (PostgreSQL; on SQLite it just
 * runs): instances starting together migrate and sync one after the other.
 */
export async function withDatabaseLock<T>(location: string, name: string, task: () => Promise<T>): Promise<T> {
  if (dialectOf(location) !== 'postgresql') return task();
  // The session ending (the client closed afterwards) releases the lock.
  return withPgClient(location, async (client) => {
    await client.query("select pg_advisory_lock(hashtext('gatehouse:' || $1))", [name]);
    return task();
  });
}

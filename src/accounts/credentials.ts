// The moment an account's credentials (password, second factors) last changed. Whatever
// remembers a verified credential (the `basic` backend's cache, on every instance) compares it
// with the row, so a change takes effect at once everywhere without an event.
import type { EntityManager } from '@mikro-orm/sql';
import { User } from './entities.ts';

/** Records a change of the user's password or second factors (call in the change's transaction). */
export async function markCredentialsChanged(em: EntityManager, userId: string, now: Date): Promise<void> {
  await em.nativeUpdate(User, { id: userId }, { credentialsChangedAt: now });
}

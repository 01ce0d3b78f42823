// What accounts asks of the domains above it before an account is deleted: a domain whose rules
// the deletion would break (an organization left without its owner) refuses it by throwing a
// DomainError. src/services.ts fills the list (the organizations domain's guard).
import type { EntityManager } from '@mikro-orm/sql';

/** Throws a DomainError when `userId` must not be deleted now; runs in the deleting transaction. */
export type AccountDeletionGuard = (em: EntityManager, userId: string) => Promise<void>;

declare module '../context.ts' {
  interface Services {
    accountDeletionGuards: readonly AccountDeletionGuard[];
  }
}

export async function assertDeletable(guards: readonly AccountDeletionGuard[], em: EntityManager, userId: string): Promise<void> {
  for (const guard of guards) await guard(em, userId);
}

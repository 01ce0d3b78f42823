// What accounts asks of the domain that keeps sign-in sessions (sessions/ sits above accounts: a
// session belongs to a user). A password change or reset and an account deletion end sessions
// through this port, which src/services.ts fills with the sessions domain's implementation.
import type { EntityManager } from '@mikro-orm/sql';
import type { RequestScope } from '../context.ts';

export interface UserSessions {
  /** The id of the session this request was made with, or null (anonymous, access token, Basic). */
  currentId(scope: Pick<RequestScope, 'credential'>): string | null;
  /** Ends the user's sessions but `keepId` (null: every one), in the caller's transaction; returns how many ended. */
  revoke(em: EntityManager, userId: string, keepId: string | null): Promise<number>;
}

declare module '../context.ts' {
  interface Services {
    /** Sessions of a user, as accounts needs them (sessions/service.ts `userSessions`). */
    userSessions: UserSessions;
  }
}

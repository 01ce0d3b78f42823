// Whether an account may use any credential now: not disabled (indefinite, until an admin enables
// it) and not banned (banUser: until a time, then it lifts itself — nothing runs at that time, every
// check compares with the clock). Every sign-in path and every credential lookup asks this.
import { AccountBannedError, AccountDisabledError } from '../errors.ts';
import type { User } from './entities.ts';

type LockState = Pick<User, 'disabled' | 'bannedUntil'>;

export const isBanned = (user: Pick<User, 'bannedUntil'>, now: Date): boolean => user.bannedUntil != null && user.bannedUntil.getTime() > now.getTime();

export const isLockedOut = (user: LockState, now: Date): boolean => user.disabled || isBanned(user, now);

/** The typed refusal for a locked-out account (disabled first), or null when it may sign in. */
export function lockoutError(user: LockState, now: Date): AccountDisabledError | AccountBannedError | null {
  if (user.disabled) return new AccountDisabledError();
  if (isBanned(user, now)) return new AccountBannedError(user.bannedUntil!);
  return null;
}

// What the login throttle decides, shared by its two stores (in memory, Redis): the settings,
// the time windows, and the store interface. Both stores must answer every sequence identically.

export interface ThrottleSettings {
  authRequestsPerMinute: number;
  failuresBeforeDelay: number;
  maxDelayMs: number;
  maxFailuresPerHour: number;
}

export const HOUR_MS = 3_600_000;
/** An IP that signed in to an account is exempt from that account's hourly cap this long. */
export const KNOWN_PAIR_MS = 30 * 24 * HOUR_MS;
/** A pair's failure streak is forgotten after a day without attempts (once its delay is over). */
export const PAIR_IDLE_MS = 24 * HOUR_MS;
/** The per-IP budget refills fully in this time. */
export const BUCKET_MS = 60_000;
/**
 * Budget tokens are counted in 1/BUCKET_MS-ths: refilling adds `authRequestsPerMinute` units a
 * millisecond, so the arithmetic stays in exact integers in JavaScript and in Redis' Lua alike.
 */
export const TOKEN_UNITS = BUCKET_MS;

/**
 * Where the counters live. Every method is one atomic step (all instances sharing a store see
 * one order of events) and takes "now" from the caller's clock. Waits are in milliseconds; 0 = go.
 */
export interface ThrottleStore {
  /** Spends one request from the IP's budget; or, when it is empty, spends nothing and tells the wait. */
  spendIpBudget(ip: string, now: number): Promise<number>;
  /** Whether a login attempt may be checked now (marks the pair as active when it may). */
  checkLogin(account: string, ip: string, now: number): Promise<number>;
  recordFailure(account: string, ip: string, now: number): Promise<void>;
  recordSuccess(account: string, ip: string, now: number): Promise<void>;
}

/** The delay after the failure that made a pair's streak `failures` long (null: none yet). */
export function pairDelayMs(failures: number, settings: ThrottleSettings): number | null {
  const over = failures - settings.failuresBeforeDelay;
  return over < 0 ? null : Math.min(1000 * 2 ** Math.min(over, 30), settings.maxDelayMs);
}

/** A streak whose delay is over and that saw no attempt for a day no longer counts. */
export function pairIsStale(nextAllowedAt: number, lastAttemptAt: number, now: number): boolean {
  return nextAllowedAt < now && now - lastAttemptAt > PAIR_IDLE_MS;
}

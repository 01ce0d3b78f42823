// Login and auth-endpoint throttling, designed so an attacker cannot lock a victim out:
// - per (account, client IP): after N consecutive failures each further attempt must wait an
//   exponentially growing delay (1 s, 2 s, 4 s … capped), and is refused without checking the password;
// - per account: at most M failures an hour (OWASP ASVS 2.2.1), except from an IP that has signed
//   in to that account successfully before, so the owner's own devices keep working;
// - per client IP: a budget of auth requests (login, register, reset, confirm) per minute.
// Counters are in memory (one instance) or in Redis (shared by all instances, so attempts spread
// over them count together). Throttled answers never depend on whether the account exists.
import type { Redis } from 'ioredis';
import { RateLimitedError } from '../errors.ts';
import type { Clock } from '../util/clock.ts';
import type { ThrottleSettings, ThrottleStore } from './throttle-policy.ts';
import { MemoryThrottleStore } from './throttle-memory.ts';
import { RedisThrottleStore, type KeyedHash } from './throttle-redis.ts';

declare module '../context.ts' {
  interface Services {
    /** Failed-attempt throttling for passwords, tokens and codes (in memory, or in Redis across instances). */
    throttle: AuthThrottle;
  }
}

export type { ThrottleSettings, ThrottleStore };

/** Which limit refused an attempt: the per-IP budget of auth requests, or the backoff after login failures. */
export type ThrottleLimit = 'ip_budget' | 'login';

export class AuthThrottle {
  readonly #clock: Clock;
  readonly #store: ThrottleStore;
  readonly #onRefused: (limit: ThrottleLimit) => void;

  /** `onRefused` hears of every attempt refused with RATE_LIMITED (the server counts them). */
  constructor(settings: ThrottleSettings, clock: Clock, store: ThrottleStore = new MemoryThrottleStore(settings), onRefused: (limit: ThrottleLimit) => void = () => {}) {
    this.#clock = clock;
    this.#store = store;
    this.#onRefused = onRefused;
  }

  /** Spends one auth request from the client IP's per-minute budget, or rejects with RATE_LIMITED. */
  async consumeIpBudget(ip: string): Promise<void> {
    this.#refuseIfWaiting(await this.#store.spendIpBudget(ip, this.#now()), 'ip_budget');
  }

  /** Rejects with RATE_LIMITED when this login attempt must not be checked now. */
  async assertLoginAllowed(account: string, ip: string): Promise<void> {
    this.#refuseIfWaiting(await this.#store.checkLogin(account, ip, this.#now()), 'login');
  }

  /** Counts a failed attempt; true when it leaves the account throttled (the next attempt from this IP must wait). */
  async recordLoginFailure(account: string, ip: string): Promise<boolean> {
    const now = this.#now();
    await this.#store.recordFailure(account, ip, now);
    return (await this.#store.checkLogin(account, ip, now)) > 0;
  }

  async recordLoginSuccess(account: string, ip: string): Promise<void> {
    await this.#store.recordSuccess(account, ip, this.#now());
  }

  #now(): number {
    return this.#clock.now().getTime();
  }

  #refuseIfWaiting(waitMs: number, limit: ThrottleLimit): void {
    if (waitMs <= 0) return;
    this.#onRefused(limit);
    throw new RateLimitedError(waitMs / 1000);
  }
}

/**
 * In memory without Redis; with it, counters shared by every instance using the same Redis, prefix
 * and SECRETS_KEY (`secrets` names the accounts' keys).
 */
export function createAuthThrottle(
  settings: ThrottleSettings,
  clock: Clock,
  redis: { client: Redis; keyPrefix: string; secrets: KeyedHash } | null,
  onRefused?: (limit: ThrottleLimit) => void,
): AuthThrottle {
  const store = redis ? new RedisThrottleStore(settings, redis.client, redis.keyPrefix, redis.secrets) : new MemoryThrottleStore(settings);
  return new AuthThrottle(settings, clock, store, onRefused);
}

// Login and auth-endpoint throttling, designed so an attacker cannot lock a victim out:
// - per (account, client IP): after N consecutive failures each further attempt must wait an
//   exponentially growing delay (1 s, 2 s, 4 s … capped), and is refused without checking the password;
// - per account: at most M failures an hour (OWASP ASVS 2.2.1), except from an IP that has signed
//   in to that account successfully before, so the owner's own devices keep working;
// - per client IP: a budget of auth requests (login, register, reset, confirm) per minute.
// State is in memory (one process). Throttled answers never depend on whether the account exists.
import { RateLimitedError } from '../errors.ts';
import type { Clock } from '../util/clock.ts';

export interface ThrottleSettings {
  authRequestsPerMinute: number;
  failuresBeforeDelay: number;
  maxDelayMs: number;
  maxFailuresPerHour: number;
}

const HOUR = 3_600_000;
const KNOWN_PAIR_MS = 30 * 24 * HOUR;
/** A pair's failure streak is forgotten after a day without attempts. */
const PAIR_IDLE_MS = 24 * HOUR;
const PRUNE_EVERY = 1000;

interface PairState {
  failures: number;
  nextAllowedAt: number;
  lastAttemptAt: number;
}
interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class AuthThrottle {
  readonly #settings: ThrottleSettings;
  readonly #clock: Clock;
  readonly #pairs = new Map<string, PairState>();
  readonly #accountFailures = new Map<string, number[]>();
  readonly #knownPairs = new Map<string, number>();
  readonly #buckets = new Map<string, Bucket>();
  #operations = 0;

  constructor(settings: ThrottleSettings, clock: Clock) {
    this.#settings = settings;
    this.#clock = clock;
  }

  /** Spends one auth request from the client IP's per-minute budget, or throws RATE_LIMITED. */
  consumeIpBudget(ip: string): void {
    const now = this.#tick();
    const capacity = this.#settings.authRequestsPerMinute;
    const refillPerMs = capacity / 60_000;
    const bucket = this.#buckets.get(ip) ?? { tokens: capacity, updatedAt: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.updatedAt) * refillPerMs);
    bucket.updatedAt = now;
    this.#buckets.set(ip, bucket);
    if (bucket.tokens < 1) throw new RateLimitedError((1 - bucket.tokens) / refillPerMs / 1000);
    bucket.tokens -= 1;
  }

  /** Throws RATE_LIMITED when this login attempt must not be checked now. */
  assertLoginAllowed(account: string, ip: string): void {
    const now = this.#tick();
    const pair = this.#pairs.get(pairKey(account, ip));
    if (pair && pair.nextAllowedAt > now) throw new RateLimitedError((pair.nextAllowedAt - now) / 1000);
    if (pair) pair.lastAttemptAt = now;

    const recent = this.#recentAccountFailures(account, now);
    if (recent.length >= this.#settings.maxFailuresPerHour && !this.#isKnownPair(account, ip, now)) {
      throw new RateLimitedError((recent[0]! + HOUR - now) / 1000);
    }
  }

  recordLoginFailure(account: string, ip: string): void {
    const now = this.#tick();
    const key = pairKey(account, ip);
    const pair = this.#pairs.get(key) ?? { failures: 0, nextAllowedAt: 0, lastAttemptAt: now };
    pair.failures += 1;
    pair.lastAttemptAt = now;
    const over = pair.failures - this.#settings.failuresBeforeDelay;
    if (over >= 0) pair.nextAllowedAt = now + Math.min(1000 * 2 ** Math.min(over, 30), this.#settings.maxDelayMs);
    this.#pairs.set(key, pair);

    const recent = this.#recentAccountFailures(account, now);
    recent.push(now);
    // Only the newest `max` failures matter for the hourly cap.
    if (recent.length > this.#settings.maxFailuresPerHour) recent.shift();
    this.#accountFailures.set(account, recent);
  }

  recordLoginSuccess(account: string, ip: string): void {
    const now = this.#tick();
    const key = pairKey(account, ip);
    this.#pairs.delete(key);
    this.#knownPairs.set(key, now);
  }

  #isKnownPair(account: string, ip: string, now: number): boolean {
    const at = this.#knownPairs.get(pairKey(account, ip));
    return at !== undefined && now - at < KNOWN_PAIR_MS;
  }

  #recentAccountFailures(account: string, now: number): number[] {
    const list = this.#accountFailures.get(account) ?? [];
    while (list.length && list[0]! <= now - HOUR) list.shift();
    return list;
  }

  /** Returns now, and now and then forgets state that can no longer affect a decision. */
  #tick(): number {
    const now = this.#clock.now().getTime();
    if (++this.#operations % PRUNE_EVERY !== 0) return now;
    for (const [key, pair] of this.#pairs) {
      if (pair.nextAllowedAt < now && now - pair.lastAttemptAt > PAIR_IDLE_MS) this.#pairs.delete(key);
    }
    for (const [account] of this.#accountFailures) {
      if (this.#recentAccountFailures(account, now).length === 0) this.#accountFailures.delete(account);
    }
    for (const [key, at] of this.#knownPairs) if (now - at >= KNOWN_PAIR_MS) this.#knownPairs.delete(key);
    for (const [ip, bucket] of this.#buckets) if (now - bucket.updatedAt > 60_000) this.#buckets.delete(ip);
    return now;
  }
}

function pairKey(account: string, ip: string): string {
  return `${account}\u0000${ip}`;
}

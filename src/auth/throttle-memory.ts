// The throttle's counters in this process's memory: the default, for a single instance.
// Same decisions as the Redis store (src/auth/throttle-redis.ts); state that can no longer
// affect a decision is dropped now and then.
import {
  BUCKET_MS, HOUR_MS, KNOWN_PAIR_MS, pairDelayMs, pairIsStale, TOKEN_UNITS,
  type ThrottleSettings, type ThrottleStore,
} from './throttle-policy.ts';

const PRUNE_EVERY = 1000;

interface PairState {
  failures: number;
  nextAllowedAt: number;
  lastAttemptAt: number;
}
interface Bucket {
  units: number;
  updatedAt: number;
}

export class MemoryThrottleStore implements ThrottleStore {
  readonly #settings: ThrottleSettings;
  readonly #pairs = new Map<string, PairState>();
  readonly #accountFailures = new Map<string, number[]>();
  readonly #knownPairs = new Map<string, number>();
  readonly #buckets = new Map<string, Bucket>();
  #operations = 0;

  constructor(settings: ThrottleSettings) {
    this.#settings = settings;
  }

  async spendIpBudget(ip: string, now: number): Promise<number> {
    this.#prune(now);
    const capacity = this.#settings.authRequestsPerMinute;
    const full = capacity * BUCKET_MS;
    const bucket = this.#buckets.get(ip) ?? { units: full, updatedAt: now };
    // A clock behind the last update (another instance's) refills nothing rather than taking back.
    if (now > bucket.updatedAt) {
      bucket.units = Math.min(full, bucket.units + (now - bucket.updatedAt) * capacity);
      bucket.updatedAt = now;
    }
    this.#buckets.set(ip, bucket);
    if (bucket.units < TOKEN_UNITS) return (TOKEN_UNITS - bucket.units) / capacity;
    bucket.units -= TOKEN_UNITS;
    return 0;
  }

  async checkLogin(account: string, ip: string, now: number): Promise<number> {
    this.#prune(now);
    const pair = this.#pair(account, ip, now);
    if (pair && pair.nextAllowedAt > now) return pair.nextAllowedAt - now;
    if (pair) pair.lastAttemptAt = now;

    const recent = this.#recentAccountFailures(account, now);
    if (recent.length >= this.#settings.maxFailuresPerHour && !this.#isKnownPair(account, ip, now)) {
      return recent[0]! + HOUR_MS - now;
    }
    return 0;
  }

  async recordFailure(account: string, ip: string, now: number): Promise<void> {
    this.#prune(now);
    const pair = this.#pair(account, ip, now) ?? { failures: 0, nextAllowedAt: 0, lastAttemptAt: now };
    pair.failures += 1;
    pair.lastAttemptAt = now;
    const delay = pairDelayMs(pair.failures, this.#settings);
    if (delay !== null) pair.nextAllowedAt = now + delay;
    this.#pairs.set(pairKey(account, ip), pair);

    const recent = this.#recentAccountFailures(account, now);
    recent.push(now);
    // Only the newest `max` failures matter for the hourly cap.
    if (recent.length > this.#settings.maxFailuresPerHour) recent.shift();
    this.#accountFailures.set(account, recent);
  }

  async recordSuccess(account: string, ip: string, now: number): Promise<void> {
    this.#prune(now);
    const key = pairKey(account, ip);
    this.#pairs.delete(key);
    this.#knownPairs.set(key, now);
  }

  /** The pair's streak, unless it is over (then forgotten). */
  #pair(account: string, ip: string, now: number): PairState | undefined {
    const key = pairKey(account, ip);
    const pair = this.#pairs.get(key);
    if (pair && pairIsStale(pair.nextAllowedAt, pair.lastAttemptAt, now)) {
      this.#pairs.delete(key);
      return undefined;
    }
    return pair;
  }

  #isKnownPair(account: string, ip: string, now: number): boolean {
    const at = this.#knownPairs.get(pairKey(account, ip));
    return at !== undefined && now - at < KNOWN_PAIR_MS;
  }

  #recentAccountFailures(account: string, now: number): number[] {
    const list = this.#accountFailures.get(account) ?? [];
    while (list.length && list[0]! <= now - HOUR_MS) list.shift();
    return list;
  }

  /** Now and then forgets state that can no longer affect a decision. */
  #prune(now: number): void {
    if (++this.#operations % PRUNE_EVERY !== 0) return;
    for (const [key, pair] of this.#pairs) if (pairIsStale(pair.nextAllowedAt, pair.lastAttemptAt, now)) this.#pairs.delete(key);
    for (const [account] of this.#accountFailures) {
      if (this.#recentAccountFailures(account, now).length === 0) this.#accountFailures.delete(account);
    }
    for (const [key, at] of this.#knownPairs) if (now - at >= KNOWN_PAIR_MS) this.#knownPairs.delete(key);
    for (const [ip, bucket] of this.#buckets) if (now - bucket.updatedAt > BUCKET_MS) this.#buckets.delete(ip);
  }
}

function pairKey(account: string, ip: string): string {
  return `${account}\u0000${ip}`;
}

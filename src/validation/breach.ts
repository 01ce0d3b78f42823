// Breached-password check (PASSWORD_BREACH_CHECK=hibp, off by default): Have I Been Pwned's range
// API with k-anonymity. Only the first five hex characters of the password's SHA-1 leave the server
// (`GET <PASSWORD_BREACH_URL><prefix>`, with `Add-Padding: true` so the response size says nothing
// either); the answer lists every known suffix of that prefix with its count, and the match is made
// here. The check fails open: an unreachable, slow (1.5 s) or garbled service logs a warning and
// the password is judged on strength alone. Answers are cached per prefix for a few minutes, so
// live validation as a user types costs the service one request per prefix. Each client address
// may cause PASSWORD_BREACH_LOOKUPS_PER_MINUTE requests to the service (cache misses; hits are
// free); past that it gets RATE_LIMITED, so nobody makes the server hammer the service (or get its
// address blocked there) through the public `validatePassword`.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { RateLimitedError } from '../errors.ts';
import { checkPasswordStrength, type PasswordStrength } from './password.ts';

declare module '../context.ts' {
  interface Services {
    /** PASSWORD_BREACH_CHECK: how often a password appears in known breaches (null: off or unknown). */
    breaches: BreachChecker;
  }
}

export interface BreachCheckConfig {
  /** PASSWORD_BREACH_CHECK: `off`, or `hibp` (the range API at `url`). */
  mode: 'off' | 'hibp';
  /** PASSWORD_BREACH_URL: the range endpoint; the 5-character prefix is appended. */
  url: string;
  timeoutMs: number;
  /** PASSWORD_BREACH_LOOKUPS_PER_MINUTE: per client address, requests to the service (cache misses). */
  lookupsPerMinute: number;
}

/**
 * Spends one of the address's lookups at `now` (ms); answers how long to wait (ms) when none is
 * left, else 0. The server's per-IP token bucket (src/services.ts hands one in).
 */
export type LookupBudget = (ip: string, now: number) => Promise<number>;

const CACHE_TTL_MS = 10 * 60_000;
const CACHE_PREFIXES = 2_000;
/** A range answer is about 30–40 KiB (800–1,000 padded lines); anything far larger is not one. */
const MAX_RESPONSE_BYTES = 1024 * 1024;
const LINE = /^([0-9A-F]{35}):(\d+)$/;

export class BreachChecker {
  readonly #config: BreachCheckConfig;
  readonly #logger: Logger;
  /** prefix → (suffix → count), insertion-ordered so the oldest goes first. */
  readonly #cache = new Map<string, { counts: Map<string, number>; at: number }>();
  readonly #budget: LookupBudget | null;

  constructor(config: BreachCheckConfig, logger: Logger, budget: LookupBudget | null = null) {
    this.#config = config;
    this.#logger = logger;
    this.#budget = budget;
  }

  get enabled(): boolean {
    return this.#config.mode !== 'off';
  }

  /**
   * How many times the password appears in breaches (0: not known); null when off or the service
   * failed. A lookup that must ask the service spends one of `ip`'s: RateLimitedError when none is left.
   */
  async count(password: string, ip: string): Promise<number | null> {
    if (!this.enabled) return null;
    const sha1 = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
    const prefix = sha1.slice(0, 5);
    const counts = await this.#range(prefix, ip);
    return counts === null ? null : (counts.get(sha1.slice(5)) ?? 0);
  }

  async #range(prefix: string, ip: string): Promise<Map<string, number> | null> {
    const now = Date.now();
    const cached = this.#cache.get(prefix);
    if (cached && now - cached.at < CACHE_TTL_MS) return cached.counts;
    const waitMs = this.#budget ? await this.#budget(ip, now) : 0;
    if (waitMs > 0) throw new RateLimitedError(waitMs / 1000);
    const url = `${this.#config.url}${prefix}`;
    let counts: Map<string, number>;
    try {
      const response = await fetch(url, {
        headers: { 'add-padding': 'true', 'user-agent': 'gatehouse' },
        signal: AbortSignal.timeout(this.#config.timeoutMs),
        redirect: 'error',
      });
      if (!response.ok) throw new Error(`answered HTTP ${response.status}`);
      const declared = Number(response.headers.get('content-length') ?? 0);
      if (declared > MAX_RESPONSE_BYTES) throw new Error(`answered ${declared} bytes`);
      const text = await response.text();
      if (text.length > MAX_RESPONSE_BYTES) throw new Error(`answered ${text.length} bytes`);
      counts = parseRange(text);
    } catch (error) {
      const reason = error instanceof Error ? (error.name === 'TimeoutError' ? `no answer within ${this.#config.timeoutMs} ms` : error.message) : String(error);
      this.#logger.warn({ url: this.#config.url, reason }, 'password breach check unavailable: the password was judged on strength alone');
      return null;
    }
    this.#cache.delete(prefix);
    this.#cache.set(prefix, { counts, at: now });
    if (this.#cache.size > CACHE_PREFIXES) this.#cache.delete(this.#cache.keys().next().value!);
    return counts;
  }
}

/** `SUFFIX:COUNT` lines (CRLF or LF); padding lines have a count of 0. Anything else: not a range answer. */
export function parseRange(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const match = LINE.exec(line);
    if (!match) throw new Error('answered something that is not a range list');
    const count = Number(match[2]);
    if (count > 0) counts.set(match[1]!, count);
  }
  return counts;
}

export const breachedMessage = (count: number): string =>
  `This password has appeared in ${count === 1 ? 'a data breach' : `data breaches ${count.toLocaleString('en')} times`}, so attackers try it first. Choose another.`;

/**
 * What a new password gets: the strength policy, then (PASSWORD_BREACH_CHECK) whether it appears
 * in known breaches — asked only of a password strong enough to pass otherwise, on behalf of the
 * client address `ip` (its lookups are limited). `validatePassword`
 * and every mutation that sets a password judge through this one function.
 */
export async function checkNewPassword(breaches: BreachChecker, password: string, userInputs: string[], ip: string): Promise<PasswordStrength> {
  const strength = checkPasswordStrength(password, userInputs);
  if (!strength.acceptable) return strength;
  const breached = await breaches.count(password, ip);
  return breached ? { ...strength, acceptable: false, issues: [breachedMessage(breached)], suggestions: ['Avoid passwords used on other sites.'] } : strength;
}

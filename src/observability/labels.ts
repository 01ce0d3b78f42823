// Label values a client can influence (operation names) must not grow the metrics registry without
// limit: each distinct value is a new time series in this process and in Prometheus. A bounded set
// admits the values it is told in advance (the trusted documents' operation names) and the first
// `limit` others that look like names; everything after that is counted as `other`.

export const OVERFLOW_LABEL = 'other';

export class BoundedLabelValues {
  readonly #admitted = new Set<string>();
  #limit: number;
  readonly #pattern: RegExp;

  /** `limit` counts the values admitted as they come; values made known (`know`) are admitted beyond it. */
  constructor(limit: number, pattern: RegExp) {
    this.#limit = limit;
    this.#pattern = pattern;
  }

  /**
   * Values admitted whatever the limit (e.g. the operation names of the trusted documents).
   * `only`: these and none other (the ones admitted so far stay).
   */
  know(values: Iterable<string>, only = false): void {
    for (const value of values) {
      if (!this.#pattern.test(value) || this.#admitted.has(value)) continue;
      this.#admitted.add(value);
      this.#limit++;
    }
    if (only) this.#limit = this.#admitted.size;
  }

  /** The value itself while admitted (or admissible), else `other`. */
  value(raw: string): string {
    if (this.#admitted.has(raw)) return raw;
    if (this.#admitted.size >= this.#limit || !this.#pattern.test(raw)) return OVERFLOW_LABEL;
    this.#admitted.add(raw);
    return raw;
  }

  get size(): number {
    return this.#admitted.size;
  }
}

/** A GraphQL name of at most 64 characters (longer ones are refused as label values). */
export const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;

/** An error code as the server spells them (UNAUTHENTICATED, RATE_LIMITED…). */
export const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,47}$/;

/** A word-like value set by code (a login method such as `oauth:github`, a reason such as `invalid_credentials`). */
export const CODE_WORD = /^[a-z][a-z0-9_:.-]{0,47}$/;

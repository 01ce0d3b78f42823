// The throttle's counters in Redis (REDIS_URL), shared by every instance, so attempts spread
// over instances count together. Each operation is one Lua script: atomic, one round trip.
// "Now" is the caller's clock, passed in (never Redis TIME); key expiry only collects garbage,
// at twice each logical window, so it never decides anything. Account keys carry a keyed hash
// (HMAC-SHA256 under SECRETS_KEY) of the account key, never the email nor a plain hash of it, which
// a list of known addresses would reverse; client IP addresses are keyed the same way (an IPv4
// address is one of 2^32: any plain hash of it is reversed by trying them all). Instances sharing
// counters need the same SECRETS_KEY.
// All keys of one account share a hash tag (one Redis Cluster slot).
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  BUCKET_MS, HOUR_MS, KNOWN_PAIR_MS, PAIR_IDLE_MS, TOKEN_UNITS,
  type ThrottleSettings, type ThrottleStore,
} from './throttle-policy.ts';

/** A script sent once per connection, then called by its SHA-1 (ioredis' defineCommand, without changing the shared client). */
class LuaScript {
  readonly #lua: string;
  readonly #sha: string;
  constructor(lua: string) {
    this.#lua = lua;
    this.#sha = createHash('sha1').update(lua).digest('hex');
  }
  async run(client: Redis, keys: string[], args: Array<string | number>): Promise<unknown> {
    try {
      return await client.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.#lua, keys.length, ...keys, ...args);
    }
  }
}

// Numbers are integers (ms, token units) well below 2^53, exact in Lua's doubles; scripts
// return integers only (Redis truncates Lua numbers), the caller does any division.

/** KEYS: bucket. ARGV: now, capacity (requests a minute), ttl. Returns the missing token units (0 = spent). */
const SPEND_IP_BUDGET = new LuaScript(`
local now, capacity = tonumber(ARGV[1]), tonumber(ARGV[2])
local full = capacity * ${BUCKET_MS}
local state = redis.call('HMGET', KEYS[1], 'units', 'at')
local units, at = tonumber(state[1]) or full, tonumber(state[2]) or now
if now > at then
  units = math.min(full, units + (now - at) * capacity)
  at = now
end
local missing = 0
if units < ${TOKEN_UNITS} then missing = ${TOKEN_UNITS} - units else units = units - ${TOKEN_UNITS} end
redis.call('HSET', KEYS[1], 'units', string.format('%d', units), 'at', string.format('%d', at))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return missing
`);

/** Shared by the login scripts: the pair's streak {failures, next, last}, or nil once stale (then deleted). */
const READ_PAIR = `
local function read_pair(key, now)
  local state = redis.call('HMGET', key, 'failures', 'next', 'last')
  if not state[1] then return nil end
  local pair = { failures = tonumber(state[1]), next = tonumber(state[2]), last = tonumber(state[3]) }
  if pair.next < now and now - pair.last > ${PAIR_IDLE_MS} then
    redis.call('DEL', key)
    return nil
  end
  return pair
end
local function pair_ttl(pair, now)
  return math.max(pair.next - now, 0) + ${2 * PAIR_IDLE_MS}
end
`;

/** KEYS: pair, account failures, known pair. ARGV: now, max failures an hour. Returns the wait in ms (0 = go). */
const CHECK_LOGIN = new LuaScript(`${READ_PAIR}
local now, max = tonumber(ARGV[1]), tonumber(ARGV[2])
local pair = read_pair(KEYS[1], now)
if pair and pair.next > now then return pair.next - now end
if pair then
  redis.call('HSET', KEYS[1], 'last', string.format('%d', now))
  redis.call('PEXPIRE', KEYS[1], string.format('%d', pair_ttl(pair, now)))
end
local since = string.format('(%d', now - ${HOUR_MS})
if redis.call('ZCOUNT', KEYS[2], since, '+inf') < max then return 0 end
local known = tonumber(redis.call('GET', KEYS[3]))
if known and now - known < ${KNOWN_PAIR_MS} then return 0 end
local oldest = redis.call('ZRANGEBYSCORE', KEYS[2], since, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
return tonumber(oldest[2]) + ${HOUR_MS} - now
`);

/**
 * KEYS: pair, account failures. ARGV: now, failures before delay, max delay, max failures an hour,
 * a unique member name (failures at the same millisecond are distinct entries).
 */
const RECORD_FAILURE = new LuaScript(`${READ_PAIR}
local now, before, max_delay, max = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local pair = read_pair(KEYS[1], now) or { failures = 0, next = 0 }
pair.failures = pair.failures + 1
local over = pair.failures - before
if over >= 0 then pair.next = now + math.min(1000 * 2 ^ math.min(over, 30), max_delay) end
redis.call('HSET', KEYS[1], 'failures', string.format('%d', pair.failures), 'next', string.format('%d', pair.next), 'last', string.format('%d', now))
redis.call('PEXPIRE', KEYS[1], string.format('%d', pair_ttl(pair, now)))

redis.call('ZADD', KEYS[2], string.format('%d', now), ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('%d', now - ${HOUR_MS}))
-- Only the newest max failures matter for the hourly cap.
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(max + 1))
redis.call('PEXPIRE', KEYS[2], ${2 * HOUR_MS})
return 0
`);

/** KEYS: pair, known pair. ARGV: now. */
const RECORD_SUCCESS = new LuaScript(`
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ${2 * KNOWN_PAIR_MS})
return 0
`);

/** The keyed hash account keys are named by (`SecretBox.mac`, util/secret-box.ts). */
export interface KeyedHash {
  mac(purpose: string, value: string): string;
}

export class RedisThrottleStore implements ThrottleStore {
  readonly #settings: ThrottleSettings;
  readonly #client: Redis;
  readonly #prefix: string;
  readonly #secrets: KeyedHash;

  /** `keyPrefix`: REDIS_KEY_PREFIX (the client adds none); `secrets`: the SECRETS_KEY box. */
  constructor(settings: ThrottleSettings, client: Redis, keyPrefix: string, secrets: KeyedHash) {
    this.#settings = settings;
    this.#client = client;
    this.#prefix = `${keyPrefix}throttle:`;
    this.#secrets = secrets;
  }

  async spendIpBudget(ip: string, now: number): Promise<number> {
    const capacity = this.#settings.authRequestsPerMinute;
    const missing = await SPEND_IP_BUDGET.run(this.#client, [`${this.#prefix}ip:${this.#ipName(ip)}`], [now, capacity, 2 * BUCKET_MS]);
    return Number(missing) / capacity;
  }

  async checkLogin(account: string, ip: string, now: number): Promise<number> {
    const keys = this.#accountKeys(account, ip);
    const wait = await CHECK_LOGIN.run(this.#client, [keys.pair, keys.failures, keys.known], [now, this.#settings.maxFailuresPerHour]);
    return Number(wait);
  }

  async recordFailure(account: string, ip: string, now: number): Promise<void> {
    const keys = this.#accountKeys(account, ip);
    const { failuresBeforeDelay, maxDelayMs, maxFailuresPerHour } = this.#settings;
    await RECORD_FAILURE.run(this.#client, [keys.pair, keys.failures], [now, failuresBeforeDelay, maxDelayMs, maxFailuresPerHour, randomBytes(8).toString('hex')]);
  }

  async recordSuccess(account: string, ip: string, now: number): Promise<void> {
    const keys = this.#accountKeys(account, ip);
    await RECORD_SUCCESS.run(this.#client, [keys.pair, keys.known], [now]);
  }

  #accountKeys(account: string, ip: string) {
    const base = `${this.#prefix}account:{${this.#secrets.mac('throttle', account)}}`;
    const client = this.#ipName(ip);
    return { pair: `${base}:pair:${client}`, failures: `${base}:failures`, known: `${base}:known:${client}` };
  }

  /** A client address as keys name it: keyed, never readable from a dump of Redis. */
  #ipName(ip: string): string {
    return this.#secrets.mac('throttle-ip', ip);
  }
}

// Throttling counters in Redis: two AuthThrottles on one Redis act as two instances, and attempts
// spread over them count together; the Redis store answers every sequence exactly like the
// in-memory one; keys hold neither the email, the client address nor their plain SHA-256 (keyed hashes under SECRETS_KEY),
// and all expire. Needs TEST_REDIS_URL.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { AuthThrottle, createAuthThrottle, type ThrottleSettings } from '../../src/auth/throttle.ts';
import { MemoryThrottleStore } from '../../src/auth/throttle-memory.ts';
import { RedisThrottleStore } from '../../src/auth/throttle-redis.ts';
import type { ThrottleStore } from '../../src/auth/throttle-policy.ts';
import { closeRedis, openRedis, type Redis } from '../../src/db/redis.ts';
import { RateLimitedError } from '../../src/errors.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { SecretBox } from '../../src/util/secret-box.ts';
import { seededRandom } from '../helpers/random.ts';

const REDIS_URL = process.env.TEST_REDIS_URL || null;
const SETTINGS: ThrottleSettings = { authRequestsPerMinute: 5, failuresBeforeDelay: 3, maxDelayMs: 60_000, maxFailuresPerHour: 10 };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** 'ok', or the retryAfter (seconds) a refusal carried. */
async function outcome(call: Promise<void>): Promise<'ok' | number> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    if (!(error instanceof RateLimitedError)) throw error;
    return Number(error.extensions.retryAfter);
  }
}

describe('throttling counters shared through Redis', { skip: REDIS_URL ? false : 'needs TEST_REDIS_URL (scripts/test-backends.sh start)' }, () => {
  let client: Redis;
  let prefix: string;
  let clock: ManualClock;
  /** Two instances: separate throttles (and connections' worth of state) on one Redis. */
  let a: AuthThrottle;
  let b: AuthThrottle;
  /** The SECRETS_KEY the instances share. */
  let secrets: SecretBox;

  const instance = (settings = SETTINGS, box = secrets) => createAuthThrottle(settings, clock, { client, keyPrefix: prefix, secrets: box });
  const keys = () => client.keys(`${prefix}*`);

  before(async () => {
    client = await openRedis({ url: REDIS_URL!, keyPrefix: 'unused:' }, pino({ level: 'silent' }), 'test');
  });
  after(() => closeRedis(client));

  const setUp = () => {
    prefix = `test:${randomUUID()}:`;
    clock = new ManualClock(new Date('2030-01-01T00:00:00Z'));
    secrets = new SecretBox(randomBytes(32));
    a = instance();
    b = instance();
  };
  afterEach(async () => {
    const left = await keys();
    if (left.length) await client.del(...left);
  });

  test('failures spread over two instances count together for the pair delay', async () => {
    setUp();
    const [account, ip] = ['spread@example.com', '198.51.100.1'];
    for (const throttle of [a, b, a]) {
      assert.equal(await outcome(throttle.assertLoginAllowed(account, ip)), 'ok');
      await throttle.recordLoginFailure(account, ip);
    }
    assert.equal(await outcome(b.assertLoginAllowed(account, ip)), 1);
    assert.equal(await outcome(a.assertLoginAllowed(account, ip)), 1);
    clock.advance(1000);
    assert.equal(await outcome(b.assertLoginAllowed(account, ip)), 'ok');
    await b.recordLoginFailure(account, ip);
    assert.equal(await outcome(a.assertLoginAllowed(account, ip)), 2);

    // Why this matters: two in-memory instances each saw too few failures to throttle.
    const memoryA = new AuthThrottle(SETTINGS, clock);
    const memoryB = new AuthThrottle(SETTINGS, clock);
    for (const throttle of [memoryA, memoryB, memoryA, memoryB]) await throttle.recordLoginFailure(account, ip);
    assert.equal(await outcome(memoryA.assertLoginAllowed(account, ip)), 'ok');
  });

  test('a success on one instance resets the pair for the other', async () => {
    setUp();
    const [account, ip] = ['reset@example.com', '198.51.100.2'];
    await a.recordLoginFailure(account, ip);
    await a.recordLoginFailure(account, ip);
    await b.recordLoginSuccess(account, ip);
    await a.recordLoginFailure(account, ip);
    await b.recordLoginFailure(account, ip);
    assert.equal(await outcome(a.assertLoginAllowed(account, ip)), 'ok', 'a fresh streak of 2 is below the delay');
    await a.recordLoginFailure(account, ip);
    assert.equal(await outcome(b.assertLoginAllowed(account, ip)), 1);
  });

  test('the hourly cap counts failures from many IPs on both instances; a known pair stays exempt', async () => {
    setUp();
    const account = 'cap@example.com';
    const home = '198.51.100.10';
    await b.recordLoginSuccess(account, home);
    for (let i = 0; i < 10; i++) {
      const throttle = i % 2 ? a : b;
      const ip = `203.0.113.${i}`;
      assert.equal(await outcome(throttle.assertLoginAllowed(account, ip)), 'ok');
      await throttle.recordLoginFailure(account, ip);
      clock.advance(60_000);
    }
    // The oldest failure leaves the hour in 60 min - 10 × 1 min.
    assert.equal(await outcome(a.assertLoginAllowed(account, '203.0.113.99')), 50 * 60);
    assert.equal(await outcome(b.assertLoginAllowed(account, '203.0.113.98')), 50 * 60);
    assert.equal(await outcome(a.assertLoginAllowed(account, home)), 'ok', 'the owner signed in from home (on B) before');
    assert.equal(await outcome(a.assertLoginAllowed('other@example.com', '203.0.113.99')), 'ok');

    clock.advance(50 * 60_000);
    assert.equal(await outcome(b.assertLoginAllowed(account, '203.0.113.99')), 'ok');
    // The known pair is exempt for 30 days (from its success) only.
    clock.advance(30 * DAY - HOUR - 1);
    for (let i = 0; i < 10; i++) await a.recordLoginFailure(account, `203.0.114.${i}`);
    assert.equal(await outcome(b.assertLoginAllowed(account, home)), 'ok');
    clock.advance(1);
    assert.equal(await outcome(b.assertLoginAllowed(account, home)), 3600);
  });

  test('the per-IP budget is shared, and atomic under concurrent calls', async () => {
    setUp();
    const ip = '198.51.100.20';
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => outcome((i % 2 ? a : b).consumeIpBudget(ip))));
    assert.equal(answers.filter((x) => x === 'ok').length, 5, JSON.stringify(answers));
    // 5 a minute: one request comes back every 12 s.
    assert.deepEqual([...new Set(answers.filter((x) => x !== 'ok'))], [12]);
    assert.equal(await outcome(a.consumeIpBudget('198.51.100.21')), 'ok', 'another client has its own budget');

    clock.advance(11_999);
    assert.equal(await outcome(b.consumeIpBudget(ip)), 1);
    clock.advance(1);
    assert.equal(await outcome(a.consumeIpBudget(ip)), 'ok');
    assert.equal(await outcome(b.consumeIpBudget(ip)), 12);

    // An instance whose clock is behind neither refills nor takes back tokens.
    const behind = new ManualClock(new Date(clock.now().getTime() - 5000));
    const late = createAuthThrottle(SETTINGS, behind, { client, keyPrefix: prefix, secrets });
    assert.equal(await outcome(late.consumeIpBudget(ip)), 12);
    clock.advance(12_000);
    assert.equal(await outcome(a.consumeIpBudget(ip)), 'ok');
  });

  test('a scripted sequence gets the same answers from Redis as from memory', async () => {
    setUp();
    const memoryClock = new ManualClock(clock.now());
    const memory = new AuthThrottle(SETTINGS, memoryClock);
    const answers = { memory: [] as Array<string | number>, redis: [] as Array<string | number> };
    const account = 'same@example.com';
    const steps: Array<[string, (t: AuthThrottle) => Promise<void>] | number> = [
      ...Array.from({ length: 6 }, (_, i) => ['login fail', (t: AuthThrottle) => loginOnce(t, account, '192.0.2.1', false)] as [string, (t: AuthThrottle) => Promise<void>]),
      999, ['login ok', (t) => loginOnce(t, account, '192.0.2.1', true)],
      1, ['login ok', (t) => loginOnce(t, account, '192.0.2.1', true)],
      ...Array.from({ length: 12 }, (_, i) => ['spread fail', (t: AuthThrottle) => loginOnce(t, account, `192.0.2.${10 + i}`, false)] as [string, (t: AuthThrottle) => Promise<void>]),
      ['stranger', (t) => loginOnce(t, account, '192.0.2.99', true)],
      ['home', (t) => loginOnce(t, account, '192.0.2.1', true)],
      ...Array.from({ length: 7 }, () => ['budget', (t: AuthThrottle) => t.consumeIpBudget('192.0.2.50')] as [string, (t: AuthThrottle) => Promise<void>]),
      7_345, ['budget', (t) => t.consumeIpBudget('192.0.2.50')],
      HOUR, ['stranger', (t) => loginOnce(t, account, '192.0.2.99', true)],
    ];
    for (const step of steps) {
      if (typeof step === 'number') {
        clock.advance(step);
        memoryClock.advance(step);
        continue;
      }
      const [label, run] = step;
      answers.memory.push(`${label}: ${await outcome(run(memory))}`);
      answers.redis.push(`${label}: ${await outcome(run(a))}`);
    }
    assert.deepEqual(answers.redis, answers.memory);
    // …and those are the answers the rules call for.
    const times = (n: number, answer: string) => Array<string>(n).fill(answer);
    assert.deepEqual(answers.memory, [
      ...times(3, 'login fail: ok'), ...times(3, 'login fail: 1'),
      'login ok: 1', 'login ok: ok',
      // 3 + 7 failures reach the cap of 10; the oldest were 1 s before.
      ...times(7, 'spread fail: ok'), ...times(5, 'spread fail: 3599'),
      'stranger: 3599', 'home: ok',
      ...times(5, 'budget: ok'), ...times(2, 'budget: 12'), 'budget: 5',
      'stranger: ok',
    ]);
  });

  test('a long random sequence gets the same waits, to the millisecond, from both stores', async () => {
    setUp();
    const settings: ThrottleSettings = { authRequestsPerMinute: 4, failuresBeforeDelay: 2, maxDelayMs: 8000, maxFailuresPerHour: 5 };
    const memory: ThrottleStore = new MemoryThrottleStore(settings);
    const redis: ThrottleStore = new RedisThrottleStore(settings, client, prefix, secrets);
    const random = seededRandom(20300101);
    const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
    const accounts = ['r1@example.com', 'r2@example.com'];
    const ips = ['192.0.2.1', '192.0.2.2', '192.0.2.3', '2001:db8::1'];
    const advances = [0, 0, 1, 250, 999, 1000, 3000, 15_000, 60_000, HOUR, DAY + 1, 31 * DAY];
    let now = clock.now().getTime();
    const seen = { memory: [] as string[], redis: [] as string[] };
    for (let i = 0; i < 1500; i++) {
      if (random() < 0.3) now += pick(random() < 0.85 ? advances.slice(0, 8) : advances);
      const [account, ip, roll] = [pick(accounts), pick(ips), random()];
      for (const [name, store] of [['memory', memory], ['redis', redis]] as const) {
        let answer: string;
        if (roll < 0.25) answer = `spend ${ip}: ${await store.spendIpBudget(ip, now)}`;
        else if (roll < 0.6) answer = `check ${account} ${ip}: ${await store.checkLogin(account, ip, now)}`;
        else if (roll < 0.92) answer = `fail ${account} ${ip}: ${await store.recordFailure(account, ip, now)}`;
        else answer = `success ${account} ${ip}: ${await store.recordSuccess(account, ip, now)}`;
        seen[name].push(answer);
      }
    }
    assert.deepEqual(seen.redis, seen.memory);
    const refusals = seen.memory.filter((line) => /^(spend|check).*: [1-9]/.test(line));
    assert.ok(refusals.length > 50, `the sequence met refusals (${refusals.length})`);
  });

  test('keys carry neither the email nor its plain SHA-256, and every key expires (no sooner than its logical window)', async () => {
    setUp();
    const account = 'secret.person@example.com';
    const ip = '198.51.100.30';
    await a.consumeIpBudget(ip);
    await a.assertLoginAllowed(account, ip);
    await a.recordLoginFailure(account, ip);
    await b.recordLoginSuccess(account, ip);
    await b.recordLoginFailure(account, ip);
    await b.assertLoginAllowed(account, ip);

    const found = (await keys()).sort();
    // A plain hash of the address is reversed by hashing a list of known addresses: not in any key.
    const plain = createHash('sha256').update(account).digest('hex');
    for (const key of found) assert.ok(!key.includes(plain), key);
    const hash = secrets.mac('throttle', account);
    // The client address is keyed too: a plain hash of an IPv4 address is reversed by trying all 2^32.
    const address = secrets.mac('throttle-ip', ip);
    assert.deepEqual(found.map((key) => key.slice(prefix.length)).sort(), [
      `throttle:account:{${hash}}:failures`,
      `throttle:account:{${hash}}:known:${address}`,
      `throttle:account:{${hash}}:pair:${address}`,
      `throttle:ip:${address}`,
    ].sort());
    const plainIp = createHash('sha256').update(ip).digest('hex');
    for (const key of found) assert.ok(!key.includes('secret') && !key.includes('@') && !key.includes(ip) && !key.includes(plainIp), key);

    const minimum: Record<string, number> = { failures: HOUR, known: 30 * DAY, pair: DAY, ip: 60_000 };
    for (const key of found) {
      const ttl = await client.pttl(key);
      const kind = Object.keys(minimum).find((k) => key.includes(`:${k}`))!;
      assert.ok(ttl > minimum[kind]!, `${key}: ttl ${ttl} ms`);
    }
    // Values hold no email either.
    for (const key of found) {
      const type = await client.type(key);
      const dump = type === 'hash' ? JSON.stringify(await client.hgetall(key)) : type === 'zset' ? JSON.stringify(await client.zrange(key, 0, -1)) : String(await client.get(key));
      assert.ok(!dump.includes('secret') && !dump.includes(ip), `${key}: ${dump}`);
    }
  });

  test('another SECRETS_KEY names the keys differently (no shared counters); one key shared counts together', async () => {
    setUp();
    const account = 'keyed.person@example.com';
    const ip = '198.51.100.40';
    const other = instance(SETTINGS, new SecretBox(randomBytes(32)));
    await a.recordLoginFailure(account, ip);
    const mine = new Set(await keys());
    await other.recordLoginFailure(account, ip);
    const theirs = (await keys()).filter((key) => !mine.has(key));
    const accountKeys = (list: Iterable<string>) => [...list].filter((key) => key.includes(':account:'));
    assert.equal(accountKeys(mine).length, 2); // pair and failures
    assert.equal(accountKeys(theirs).length, 2, 'the other key wrote keys of its own');

    // b shares a's key: its failures add to a's streak; the other key's failure does not.
    await b.recordLoginFailure(account, ip);
    assert.equal(await outcome(a.assertLoginAllowed(account, ip)), 'ok'); // 2 failures under the shared key
    await b.recordLoginFailure(account, ip);
    assert.equal(await outcome(a.assertLoginAllowed(account, ip)), 1); // the 3rd starts the delay
    assert.equal(await outcome(other.assertLoginAllowed(account, ip)), 'ok'); // 1 failure under its key
  });
});

/** One login attempt as the services make it: check, then record the outcome. */
async function loginOnce(throttle: AuthThrottle, account: string, ip: string, passwordRight: boolean): Promise<void> {
  await throttle.assertLoginAllowed(account, ip);
  if (passwordRight) await throttle.recordLoginSuccess(account, ip);
  else await throttle.recordLoginFailure(account, ip);
}


// Several instances behind one address: two `gatehouse serve` processes on one PostgreSQL
// database, with Redis (events and throttling counters shared) and without it (changes noticed
// by polling every SYNC_INTERVAL). Runs in the PostgreSQL + Redis pass (scripts/test-backends.sh).
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { Secret, TOTP } from 'otpauth';
import { POSTGRES_ADMIN_URL, REDIS_URL } from '../helpers/backends.ts';
import { STRONG_PASSWORD } from '../helpers/server.ts';
import { CHANGED, EventQueue, SET_MAINTENANCE, wsSubscribe, type LiveResult } from '../maintenance/maintenance-helpers.ts';
import { dropDatabase, ensureDatabase } from '../../src/db/postgresql-admin.ts';
import { gql, startInstance as startGatehouseInstance, stopInstance, type Instance } from '../helpers/instances.ts';

/** Every wait for something to happen is bounded by this; nothing here asserts how fast it was. */
const WAIT_MS = 5000;
const ADMIN_EMAIL = 'scaleout.admin@example.com';
const VIEWER = '{ viewer { email } }';
const ENDED = 'subscription { viewerSessionEnded { reason } }';
const LOGIN_STEP = `mutation($email: String!, $password: String!) {
  login(input: { email: $email, password: $password }) { __typename ... on SecondFactorRequired { challenge } ... on Error { code } }
}`;
const VERIFY_STEP = `mutation($input: VerifySecondFactorInput!) {
  verifySecondFactor(input: $input) { __typename ... on CreatedSession { token } ... on Error { code } }
}`;
const LOGIN = `mutation($email: String!, $password: String!) {
  login(input: { email: $email, password: $password }) { __typename ... on CreatedSession { token } ... on Error { code } }
}`;

const skipRedis = POSTGRES_ADMIN_URL && REDIS_URL ? false : 'needs TEST_DATABASE_URL and TEST_REDIS_URL (scripts/test-backends.sh start)';
const skipPolling = POSTGRES_ADMIN_URL ? false : 'needs TEST_DATABASE_URL (scripts/test-backends.sh start)';

/** An instance with the suite's admin; only the per-(account, IP) failure delay is under test, so the per-IP request budget stays out of the way. */
const startInstance = (name: string, cwd: string, vars: Record<string, string>): Promise<Instance> =>
  startGatehouseInstance(name, cwd, { ADMIN_EMAIL, ADMIN_PASSWORD: STRONG_PASSWORD, AUTH_RATE_LIMIT_PER_MINUTE: '10000', ...vars });

/** 'CreatedSession', an error __typename, or the extensions.code of a GraphQL error. */
async function loginOutcome(instance: Instance, email: string, password: string): Promise<{ outcome: string; token?: string }> {
  const body = await gql(instance, LOGIN, { email, password });
  if (body.errors?.length) return { outcome: String(body.errors[0].extensions?.code) };
  return { outcome: body.data.login.__typename, token: body.data.login.token };
}

async function loginAdmin(instance: Instance): Promise<string> {
  const { outcome, token } = await loginOutcome(instance, ADMIN_EMAIL, STRONG_PASSWORD);
  assert.equal(outcome, 'CreatedSession', `admin login on ${instance.name}`);
  return token!;
}

async function setMaintenance(instance: Instance, token: string, enabled: boolean): Promise<void> {
  const body = await gql(instance, SET_MAINTENANCE, { enabled, message: enabled ? 'Scaling out' : null }, token);
  assert.equal(body.data?.setMaintenanceMode?.__typename, 'MaintenanceState', JSON.stringify(body));
}

/** The next value of a live client, or a failure naming what did not arrive. */
async function next<T>(queue: EventQueue<T>, what: string): Promise<T> {
  try {
    return await queue.next(WAIT_MS);
  } catch (error) {
    throw new Error(`${what}: ${(error as Error).message}`);
  }
}

interface LiveSocket {
  client: Client;
  closes: EventQueue<number>;
}

/** A graphql-ws connection authenticated at connection_init; resolves once acknowledged. */
async function openSocket(instance: Instance, clients: Client[], token?: string): Promise<LiveSocket> {
  const closes = new EventQueue<number>();
  const acks = new EventQueue<true>();
  const client = createClient({
    url: instance.wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined,
    ...(token ? { connectionParams: { authorization: `Bearer ${token}` } } : {}),
    on: {
      connected: () => acks.push(true),
      closed: (event) => closes.push((event as { code: number }).code),
    },
  });
  clients.push(client);
  await next(acks, `connection_ack from ${instance.name}`);
  return { client, closes };
}

/** Runs one query over the socket: once answered, subscriptions sent before it are registered. */
async function socketQuery(socket: LiveSocket, query: string): Promise<LiveResult> {
  const { events, stop } = wsSubscribe(socket.client, query);
  try {
    return await next(events, `answer to ${query}`);
  } finally {
    stop();
  }
}

/**
 * A maintenance toggle on `from` reaches a `maintenanceModeChanged` subscriber on `to` (on, then off).
 * Returns the observed delivery times (from sending the mutation to receiving the event).
 */
async function maintenanceTravels(from: Instance, to: Instance, token: string, clients: Client[]): Promise<number[]> {
  const socket = await openSocket(to, clients);
  const { events, stop } = wsSubscribe(socket.client, CHANGED);
  try {
    // The subscription answers the current state first: from then on it is registered.
    assert.deepEqual(await next(events, `initial maintenanceModeChanged on ${to.name}`), {
      data: { maintenanceModeChanged: { enabled: false, message: null, endsAt: null } },
    });
    const latencies: number[] = [];
    for (const enabled of [true, false]) {
      const started = performance.now();
      await setMaintenance(from, token, enabled);
      const event = await next(events, `maintenanceModeChanged(enabled: ${enabled}) on ${to.name} after the toggle on ${from.name}`);
      latencies.push(performance.now() - started);
      assert.deepEqual(event, { data: { maintenanceModeChanged: { enabled, message: enabled ? 'Scaling out' : null, endsAt: null } } });
    }
    return latencies;
  } finally {
    stop();
  }
}

/**
 * Logging out on `other` closes the live connection of that session on `home` (after
 * viewerSessionEnded with `reason`). Returns the times from sending the logout to the event and to the close.
 */
async function logoutClosesSocket(home: Instance, other: Instance, reason: string, clients: Client[]): Promise<{ event: number; close: number }> {
  const token = await loginAdmin(home);
  const socket = await openSocket(home, clients, token);
  const ended = wsSubscribe(socket.client, ENDED);
  assert.deepEqual(await socketQuery(socket, VIEWER), { data: { viewer: { email: ADMIN_EMAIL } } });

  const started = performance.now();
  assert.deepEqual(await gql(other, 'mutation { logout { ... on RevokedSessions { count } } }', {}, token), { data: { logout: { count: 1 } } });
  const event = await next(ended.events, `viewerSessionEnded on ${home.name} after logout on ${other.name}`);
  const eventMs = performance.now() - started;
  assert.deepEqual(event, { data: { viewerSessionEnded: { reason } } });
  assert.equal(await next(socket.closes, `close of ${home.name}'s socket after logout on ${other.name}`), 4403);
  return { event: eventMs, close: performance.now() - started };
}

const ms = (values: number[]) => values.map((v) => `${v.toFixed(0)} ms`).join(', ');

interface Pair {
  /** A and B once both listen (rejects naming the one that did not start). */
  ready: Promise<readonly [Instance, Instance]>;
  /** Live clients the tests opened, disposed of at the end. */
  clients: Client[];
  /** Stops whatever started and drops the database (and the Redis keys). */
  stop(): Promise<void>;
}

/** Two instances on a fresh PostgreSQL database (and Redis, when `redis` is set), started at once. */
function startPair(label: string, redis: boolean, vars: Record<string, string>): Pair {
  const dir = mkdtempSync(join(tmpdir(), `gatehouse-scaleout-${label}-`));
  const database = `gh_scaleout_${randomBytes(6).toString('hex')}`;
  const prefix = `gh-scaleout-${randomBytes(6).toString('hex')}:`;
  const started: Instance[] = [];
  const clients: Client[] = [];
  const ready = (async () => {
    // One SECRETS_KEY for both, as a deployment must have (sealed TOTP seeds, the throttle's keys in Redis).
    const env: Record<string, string> = { DATABASE_URL: await ensureDatabase(POSTGRES_ADMIN_URL!, database), SECRETS_KEY: randomBytes(32).toString('base64'), ...vars };
    if (redis) Object.assign(env, { REDIS_URL: REDIS_URL!, REDIS_KEY_PREFIX: prefix });
    // Both at once: migrations and the first-run admin happen under the start lock, once.
    const outcomes = await Promise.allSettled(
      ['A', 'B'].map(async (name) => {
        const instance = await startInstance(name, mkdtempSync(join(dir, `${name}-`)), env);
        started.push(instance);
        return instance;
      }),
    );
    const failed = outcomes.find((o) => o.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return [started.find((i) => i.name === 'A')!, started.find((i) => i.name === 'B')!] as const;
  })();
  // Reported by the tests awaiting it; stop() must not throw it again.
  const settled = ready.catch(() => undefined);
  return {
    ready,
    clients,
    async stop() {
      await settled;
      await Promise.allSettled(clients.map((c) => c.dispose()));
      await Promise.allSettled(started.map(stopInstance));
      await dropDatabase(POSTGRES_ADMIN_URL!, database);
      if (redis) await deleteKeys(prefix);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The keys the instances left in Redis (throttling counters). */
async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL!);
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [nextCursor, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = nextCursor;
      keys.push(...found);
    } while (cursor !== '0');
    if (keys.length) await redis.del(...keys);
  } finally {
    await redis.quit();
  }
}

const ORG_ROLES = `{ organizationRoles { name permissions } }`;

/**
 * An organization role made, then changed, on A is known on B (through Redis, or B's poll);
 * returns how long each took to arrive.
 */
async function organizationRoleTravels(a: Instance, b: Instance, name: string): Promise<number[]> {
  const token = await loginAdmin(a);
  const rolesOnB = async () => (await gql(b, ORG_ROLES, {}, token)).data.organizationRoles as Array<{ name: string; permissions: string[] }>;
  const until = async (held: (permissions: string[] | undefined) => boolean): Promise<number> => {
    const started = performance.now();
    while (performance.now() - started < 10_000) {
      if (held((await rolesOnB()).find((role) => role.name === name)?.permissions)) return performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.fail(`B did not follow A's change of the organization role ${name}: ${JSON.stringify(await rolesOnB())}`);
  };
  const created = await gql(a, `mutation($name: String!) { createOrganizationRole(input: { name: $name, permissions: ["members:read"] }) { __typename } }`, { name }, token);
  assert.equal(created.data.createOrganizationRole.__typename, 'OrganizationRole', JSON.stringify(created));
  const first = await until((permissions) => permissions?.join() === 'members:read');
  const updated = await gql(a, `mutation($name: String!) { updateOrganizationRole(input: { name: $name, permissions: ["invitations:read"] }) { __typename } }`, { name }, token);
  assert.equal(updated.data.updateOrganizationRole.__typename, 'OrganizationRole', JSON.stringify(updated));
  const second = await until((permissions) => permissions?.join() === 'invitations:read');
  return [first, second];
}

async function assertOneAdmin(a: Instance, b: Instance): Promise<string> {
  const token = await loginAdmin(a);
  const body = await gql(b, `{ all: users { totalCount } admins: users(role: "admin") { edges { node { email } } } }`, {}, token);
  assert.deepEqual(body, { data: { all: { totalCount: 1 }, admins: { edges: [{ node: { email: ADMIN_EMAIL } }] } } });
  return token;
}

const pairs: { redis?: Pair; polling?: Pair } = {};
before(() => {
  // Both pairs start together: loading the sources is most of a start, and no test runs meanwhile.
  // With Redis, polling is pushed out of the way: whatever reaches the other instance came through Redis.
  if (!skipRedis) pairs.redis = startPair('redis', true, { SYNC_INTERVAL: '1h' });
  if (!skipPolling) pairs.polling = startPair('polling', false, { SYNC_INTERVAL: '200ms' });
});
after(async () => {
  await Promise.all(Object.values(pairs).map((pair) => pair.stop()));
});

describe('two instances on one PostgreSQL database and one Redis', { skip: skipRedis }, () => {
  let a: Instance;
  let b: Instance;
  let clients: Client[];
  before(async () => {
    [a, b] = await pairs.redis!.ready;
    clients = pairs.redis!.clients;
  });

  test('both started together; exactly one admin was created', async () => {
    await assertOneAdmin(a, b);
  });

  test('/ready on both checks the database and Redis', async () => {
    for (const instance of [a, b]) {
      const res = await fetch(new URL('/ready', instance.url));
      assert.equal(res.status, 200, instance.name);
      assert.deepEqual(await res.json(), { status: 'ready', database: true, redis: true }, instance.name);
    }
  });

  test('an organization role made and changed on A is known on B at once (through Redis)', async (t: TestContext) => {
    t.diagnostic(`organization role change on A → known on B (SYNC_INTERVAL=1h, so through Redis): ${ms(await organizationRoleTravels(a, b, 'redis-role'))}`);
  });

  test('a session created by login on A works on B', async () => {
    const token = await loginAdmin(a);
    assert.deepEqual(await gql(b, VIEWER, {}, token), { data: { viewer: { email: ADMIN_EMAIL } } });
  });

  test("logout on B closes A's WebSocket of that session (viewerSessionEnded, then 4403)", async (t: TestContext) => {
    const took = await logoutClosesSocket(a, b, 'LOGOUT', clients);
    t.diagnostic(`logout on B → viewerSessionEnded on A: ${ms([took.event])}; socket closed (4403): ${ms([took.close])}`);
  });

  test('a maintenance toggle on A reaches a maintenanceModeChanged subscriber on B', async (t: TestContext) => {
    const latencies = await maintenanceTravels(a, b, await loginAdmin(a), clients);
    t.diagnostic(`maintenance on / off on A → event on B: ${ms(latencies)}`);
  });

  test('failed logins spread over A and B are throttled together', async (t: TestContext) => {
    const email = 'scaleout.target@example.com'; // unknown emails are throttled like known ones
    for (const [instance, times] of [[a, 3], [b, 2]] as const) {
      for (let i = 0; i < times; i++) {
        const { outcome } = await loginOutcome(instance, email, 'not the password at all');
        assert.equal(outcome, 'InvalidCredentialsError', `failure ${i + 1} on ${instance.name}`);
      }
    }
    // The 5th failure (default LOGIN_FAILURES_BEFORE_DELAY) starts a 1 s delay: ask both at once, now.
    const fifth = performance.now();
    const answers = await Promise.all([a, b].map((instance) => loginOutcome(instance, email, STRONG_PASSWORD)));
    t.diagnostic(`attempts after the 5th failure answered within ${(performance.now() - fifth).toFixed(0)} ms`);
    assert.deepEqual(
      answers.map((answer) => answer.outcome),
      ['RATE_LIMITED', 'RATE_LIMITED'],
      '3 failures on A + 2 on B must count as 5 for the account and IP',
    );
  });

  test('a two-step sign-in started on B finishes on A; a TOTP code accepted on one is refused on the other', async () => {
    const adminToken = await loginAdmin(a);
    const email = 'scaleout.mfa@example.com';
    const created = await gql(a, `mutation($email: String!, $password: String!) {
      createUser(input: { email: $email, password: $password, confirmed: true }) { __typename } }`, { email, password: STRONG_PASSWORD }, adminToken);
    assert.equal(created.data?.createUser?.__typename, 'User', JSON.stringify(created));
    const { token } = await loginOutcome(a, email, STRONG_PASSWORD);
    const enrolled = (await gql(a, `mutation { enrollTotp { ... on TotpEnrollment { secret } } }`, {}, token)).data.enrollTotp;
    // Real clocks here: the code of the next step (within the ±1 step window) is one this test has not used yet.
    const code = (offsetSteps: number) =>
      TOTP.generate({ secret: Secret.fromBase32(enrolled.secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp: Date.now() + offsetSteps * 30_000 });
    const confirmed = await gql(b, `mutation($code: String!) { confirmTotp(input: { code: $code }) { __typename } }`, { code: code(0) }, token);
    assert.equal(confirmed.data?.confirmTotp?.__typename, 'RecoveryCodes', JSON.stringify(confirmed));

    const started = (await gql(b, LOGIN_STEP, { email, password: STRONG_PASSWORD })).data.login;
    assert.equal(started.__typename, 'SecondFactorRequired');
    const next = code(1);
    const finished = await gql(a, VERIFY_STEP, { input: { challenge: started.challenge, totp: next } });
    assert.equal(finished.data?.verifySecondFactor?.__typename, 'CreatedSession', JSON.stringify(finished));
    assert.deepEqual(await gql(b, VIEWER, {}, finished.data.verifySecondFactor.token), { data: { viewer: { email } } });
    // The same challenge, or the same code with a new challenge, on the other instance: refused.
    assert.equal((await gql(b, VERIFY_STEP, { input: { challenge: started.challenge, totp: next } })).data.verifySecondFactor.__typename, 'InvalidTokenError');
    const again = (await gql(a, LOGIN_STEP, { email, password: STRONG_PASSWORD })).data.login;
    assert.equal((await gql(b, VERIFY_STEP, { input: { challenge: again.challenge, totp: next } })).data.verifySecondFactor.__typename, 'InvalidCodeError');
  });
});

describe('two instances on one PostgreSQL database without Redis', { skip: skipPolling }, () => {
  let a: Instance;
  let b: Instance;
  let clients: Client[];
  before(async () => {
    [a, b] = await pairs.polling!.ready;
    clients = pairs.polling!.clients;
  });

  test('/ready checks the database only', async () => {
    for (const instance of [a, b]) {
      const res = await fetch(new URL('/ready', instance.url));
      assert.equal(res.status, 200, instance.name);
      assert.deepEqual(await res.json(), { status: 'ready', database: true }, instance.name);
    }
  });

  test('an organization role made and changed on A is known on B by polling', async (t: TestContext) => {
    t.diagnostic(`organization role change on A → known on B (SYNC_INTERVAL=200ms): ${ms(await organizationRoleTravels(a, b, 'polled-role'))}`);
  });

  test('a maintenance toggle on A reaches a subscriber on B by polling', async (t: TestContext) => {
    const token = await assertOneAdmin(a, b);
    const latencies = await maintenanceTravels(a, b, token, clients);
    t.diagnostic(`maintenance on / off on A → event on B (SYNC_INTERVAL=200ms): ${ms(latencies)}`);
  });

  test("logout on B closes A's WebSocket once A re-checks its connections' credentials", async (t: TestContext) => {
    // B's logout is not announced to A: A finds the session gone from the database, hence SESSION_REVOKED.
    const took = await logoutClosesSocket(a, b, 'SESSION_REVOKED', clients);
    t.diagnostic(`logout on B → viewerSessionEnded on A (SYNC_INTERVAL=200ms): ${ms([took.event])}; socket closed (4403): ${ms([took.close])}`);
  });
});

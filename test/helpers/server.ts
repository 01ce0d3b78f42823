// Starts a real Gatehouse on an ephemeral port with a fresh SQLite file and a real SMTP server,
// and gives tests a small GraphQL-over-HTTP client. Time is a ManualClock the test moves.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.ts';
import { createGatehouse, type Gatehouse, type GatehouseOptions } from '../../src/server.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { MailCatcher, linkIn } from './smtp.ts';
import { testDatabase } from './backends.ts';

export interface GqlResponse<T = any> {
  status: number;
  headers: Headers;
  body: { data?: T; errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, any> }> };
}

export interface RequestOptions {
  token?: string;
  cookie?: string;
  headers?: Record<string, string>;
}

export interface TestServer {
  url: string;
  origin: string;
  clock: ManualClock;
  mail: MailCatcher;
  gatehouse: Gatehouse;
  dir: string;
  gql<T = any>(query: string, variables?: Record<string, unknown>, options?: RequestOptions): Promise<GqlResponse<T>>;
  close(): Promise<void>;
}

export const STRONG_PASSWORD = 'correct horse battery staple';

export interface HarnessOptions {
  /** Stay on an SQLite file even when the suite runs on PostgreSQL (for SQLite file operations). */
  keepSqlite?: boolean;
}

export async function startTestServer(env: Record<string, string> = {}, options: GatehouseOptions = {}, harness: HarnessOptions = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  const mail = new MailCatcher();
  const smtpUrl = await mail.start();
  const clock = new ManualClock();
  // A test naming its own DATABASE_URL (to restart a server on it) keeps that database afterwards.
  const database = await testDatabase(env.DATABASE_URL ?? join(dir, 'gatehouse.db'), { fresh: env.DATABASE_URL === undefined, keepSqlite: harness.keepSqlite });
  const settings = {
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    SMTP_URL: smtpUrl,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // Most tests make many auth requests from 127.0.0.1; throttling tests lower this again.
    AUTH_RATE_LIMIT_PER_MINUTE: '10000',
    // Most tests register accounts on a server nobody claimed; test/admin/setup tests set 'false' (the default).
    ALLOW_REGISTRATION_BEFORE_SETUP: 'true',
    // Suites move the clock by hours and days while their admin's session lives on; the step-up
    // tests (test/mfa/step-up.test.ts) run with the production default instead.
    STEP_UP_WINDOW: '3650d',
    ...env,
    ...database.env,
    // On PostgreSQL there is no database file to keep a generated key beside: this test's own folder.
    ...(database.env.DATABASE_URL?.startsWith('postgres') && !env.SECRETS_KEY_FILE ? { SECRETS_KEY_FILE: join(dir, 'secrets.key') } : {}),
  };
  let gatehouse: Gatehouse;
  try {
    // A setting the server refuses (tests of bad configuration) leaves neither the mail server nor the database behind.
    gatehouse = await createGatehouse(loadConfig(settings), { clock, ...options });
  } catch (error) {
    await mail.close();
    await database.release();
    throw error;
  }
  const url = await gatehouse.listen();
  const origin = new URL(url).origin;

  async function gql<T>(query: string, variables: Record<string, unknown> = {}, opts: RequestOptions = {}): Promise<GqlResponse<T>> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...opts.headers,
    };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.cookie) headers.cookie = opts.cookie;
    const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`Non-JSON response ${res.status}: ${text.slice(0, 200)}`);
    }
    return { status: res.status, headers: res.headers, body };
  }

  return {
    url,
    origin,
    clock,
    mail,
    gatehouse,
    dir,
    gql,
    async close() {
      await gatehouse.close();
      await mail.close();
      await database.release();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The documents createConfirmedUser and login send (a trusted documents test lists them in its manifest). */
export const REGISTER = `mutation($input: RegisterInput!) { register(input: $input) { __typename ... on Error { code message } } }`;
export const LOGIN = `mutation($email: String!, $password: String!) {
  login(input: { email: $email, password: $password }) {
    __typename
    ... on CreatedSession { token expiresAt user { id email } }
    ... on Error { code message }
  }
}`;

/** Registers, confirms through the emailed link, and logs in; returns the session token. */
export async function createConfirmedUser(
  server: TestServer,
  email: string,
  password = STRONG_PASSWORD,
  profile: Record<string, string> = {},
): Promise<{ token: string; userId: string }> {
  const registered = await server.gql(REGISTER, { input: { email, password, ...profile } });
  if (registered.body.data?.register.__typename !== 'AccountStatus') {
    throw new Error(`register failed: ${JSON.stringify(registered.body)}`);
  }
  const mail = await server.mail.waitFor(email, /Confirm/);
  const confirmed = await fetch(linkIn(mail));
  if (confirmed.status !== 200) throw new Error(`confirm link answered ${confirmed.status}`);
  const { token, userId } = await login(server, email, password);
  return { token, userId };
}

export async function login(server: TestServer, email: string, password = STRONG_PASSWORD, opts: RequestOptions = {}) {
  const res = await server.gql(LOGIN, { email, password }, opts);
  const result = res.body.data?.login;
  if (result?.__typename !== 'CreatedSession') throw new Error(`login failed: ${JSON.stringify(res.body)}`);
  return { token: result.token as string, userId: result.user.id as string, response: res };
}

/** The `extensions.code` of each GraphQL error in a response. */
export const errorCodes = (res: GqlResponse) => (res.body.errors ?? []).map((e) => e.extensions?.code);

/**
 * Whether a refused operation answered no result: no data at all, or only null root fields (a
 * mutation's result is nullable, so a top-level error nulls just that field).
 */
export const answeredNothing = (res: GqlResponse): boolean =>
  res.body.data == null || Object.values(res.body.data as Record<string, unknown>).every((value) => value === null);

// Starting Gatehouse for a benchmark and getting credentials from it over its own API.
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { GATEHOUSE_BIN, startProcess, tempDir, type BenchProcess } from './processes.ts';

export const ADMIN_EMAIL = 'bench-admin@example.com';
export const ADMIN_PASSWORD = 'Bench-admin-password-1234!';

export interface GatehouseOptions {
  /** An existing database file (default: a fresh one in a temporary directory). */
  databasePath?: string;
  env?: Record<string, string>;
  nodeFlags?: string[];
}

/** Gatehouse as in production (NODE_ENV=production, warn-level logs) with an admin from the environment. */
export async function startGatehouse(options: GatehouseOptions = {}): Promise<BenchProcess> {
  const dir = tempDir('gatehouse');
  return startProcess({
    name: 'gatehouse',
    args: [GATEHOUSE_BIN, 'serve'],
    cwd: dir,
    // BENCH_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=prof") profiles Gatehouse in any scenario.
    nodeFlags: [...(options.nodeFlags ?? []), ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [])],
    env: {
      NODE_ENV: 'production',
      DATABASE_URL: options.databasePath ?? join(dir, 'bench.db'),
      ADMIN_EMAIL,
      ADMIN_PASSWORD,
      LOG_LEVEL: 'warn',
      // The bench admin has no second factor (production would make it set one up first).
      MFA_REQUIRED_ROLES: 'none',
      // The benchmarks log in far more often than a person would; the throttle is not what is measured.
      AUTH_RATE_LIMIT_PER_MINUTE: '10000000',
      ...options.env,
    },
  });
}

export interface GraphQLResult {
  data?: any;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/**
 * The benchmarks' client: undici's request on kept-alive connections. It shares the machine with
 * the server, and fetch costs about 400 µs of CPU a request here against about 110 for this, so a
 * scenario that makes more requests than its baseline (the two-step sign-in) would be measuring
 * its own driver.
 */
const client = new Agent({ headersTimeout: 60_000, bodyTimeout: 60_000 });

export async function graphql(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<any> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
    dispatcher: client,
  });
  const body = (await res.body.json()) as GraphQLResult;
  if (body.errors?.length) throw new Error(`GraphQL error: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** A session token for the admin (the bearer token `login` returns). */
export async function adminSession(server: Pick<BenchProcess, 'origin'>): Promise<string> {
  const data = await graphql(
    `${server.origin}/graphql`,
    `mutation ($email: String!, $password: String!) {
      login(input: { email: $email, password: $password }) { __typename ... on CreatedSession { token } }
    }`,
    { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
  );
  const token = data?.login?.token;
  if (!token) throw new Error(`admin login failed: ${JSON.stringify(data)}`);
  return token;
}

/** A personal access token of the admin, created with the given session. */
export async function adminAccessToken(server: Pick<BenchProcess, 'origin'>, session: string): Promise<string> {
  const data = await graphql(
    `${server.origin}/graphql`,
    `mutation { createAccessToken(input: { name: "bench" }) { __typename ... on CreatedAccessToken { token } } }`,
    {},
    session,
  );
  const token = data?.createAccessToken?.token;
  if (!token) throw new Error(`createAccessToken failed: ${JSON.stringify(data)}`);
  return token;
}

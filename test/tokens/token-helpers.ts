// Shared by the access-token, Basic-backend and authenticator tests: the GraphQL documents, HTTP
// Basic headers, token creation over the API, and set-up that goes around the API under test
// (accounts made by the operator's service, admins and roles given in the database).
import { TEST_DIALECT } from '../helpers/backends.ts';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { RequestScope } from '../../src/context.ts';
import { accessLoader } from '../../src/accounts/roles.ts';
import { createUser } from '../../src/admin/users.ts';
import { STRONG_PASSWORD, type GqlResponse, type RequestOptions, type TestServer, answeredNothing } from '../helpers/server.ts';

export const TOKEN_FIELDS = `id name prefix lastFour createdAt expiresAt lastUsedAt permissions expired`;

export const CREATE_TOKEN = `mutation($input: CreateAccessTokenInput!) {
  createAccessToken(input: $input) {
    __typename
    ... on CreatedAccessToken { token accessToken { ${TOKEN_FIELDS} } }
    ... on Error { code message }
    ... on ValidationError { fields { field messages } }
  }
}`;
export const VIEWER = `{ viewer { id email } }`;
export const VIEWER_TOKENS = `{ viewer { id accessTokens { ${TOKEN_FIELDS} } } }`;
export const USER_TOKENS = `query($id: ID!) { user(id: $id) { id accessTokens { ${TOKEN_FIELDS} } } }`;
export const REVOKE_TOKEN = `mutation($id: ID!) { revokeAccessToken(input: { id: $id }) { ... on RevokedAccessToken { id } } }`;
export const UPDATE_USER = `mutation($input: UpdateUserInput!) {
  updateUser(input: $input) { __typename ... on User { id disabled } ... on Error { code message } }
}`;
export const DELETE_USER = `mutation($id: ID!) {
  deleteUser(input: { id: $id }) { __typename ... on DeletedUser { id } ... on Error { code message } }
}`;
export const AUDIT_EVENTS = `query($filter: AuditEventFilter) {
  auditEvents(first: 100, filter: $filter) { edges { node { id action actorId actorEmail targetId targetType details } } }
}`;

export interface TokenView {
  id: string;
  name: string;
  prefix: string;
  lastFour: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  permissions: string[] | null;
  expired: boolean;
}

/** `Authorization: Basic base64(user:password)` (UTF-8, as RFC 7617's charset="UTF-8" asks). */
export function basicHeader(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/** Request options sending exactly this Authorization header. */
export const withAuthorization = (value: string): RequestOptions => ({ headers: { authorization: value } });
export const asBasic = (user: string, password: string): RequestOptions => withAuthorization(basicHeader(user, password));
/** The pip / twine / npm way of sending a token. */
export const asTokenBasic = (token: string): RequestOptions => asBasic('__token__', token);

/** Asserts a 200 response without errors and returns its data. */
export function dataOf(res: GqlResponse): any {
  assert.equal(res.body.errors, undefined, JSON.stringify(res.body.errors));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.data;
}

/** Creates a token over the API with the given credentials (a session token, unless `options` say otherwise). */
export async function createToken(
  server: TestServer,
  credentials: string | RequestOptions,
  input: { name: string; expiresInDays?: number | null; permissions?: string[] | null },
): Promise<{ token: string; accessToken: TokenView }> {
  const options = typeof credentials === 'string' ? { token: credentials } : credentials;
  const created = dataOf(await server.gql(CREATE_TOKEN, { input }, options)).createAccessToken;
  assert.equal(created.__typename, 'CreatedAccessToken', JSON.stringify(created));
  return created;
}

/** The viewer's email with these credentials; asserts the request succeeded. */
export async function viewerEmail(server: TestServer, options: RequestOptions): Promise<string> {
  const data = dataOf(await server.gql(VIEWER, {}, options));
  assert.ok(data.viewer, 'expected a signed-in viewer');
  return data.viewer.email;
}

/** Asserts HTTP 401 UNAUTHENTICATED, no data, and the challenge a client needs; returns the message. */
export function assertUnauthenticated(res: GqlResponse, challenge = 'Bearer realm="Gatehouse"'): string {
  assert.equal(res.status, 401, JSON.stringify(res.body));
  assert.deepEqual(
    (res.body.errors ?? []).map((e) => e.extensions?.code),
    ['UNAUTHENTICATED'],
    JSON.stringify(res.body),
  );
  assert.ok(answeredNothing(res));
  assert.equal(res.headers.get('www-authenticate'), challenge);
  return res.body.errors![0]!.message;
}

export async function tokensOf(server: TestServer, sessionToken: string): Promise<TokenView[]> {
  return dataOf(await server.gql(VIEWER_TOKENS, {}, { token: sessionToken })).viewer.accessTokens;
}

/** A scope acting as the operator (command line): full authority, no viewer. */
export function operatorScope(server: TestServer): RequestScope {
  const services = server.gatehouse.services;
  const em = services.orm.em.fork();
  return { services, em, viewer: null, credential: null, actorType: 'cli', ip: '', userAgent: 'test', requestId: 'test', loadAccess: accessLoader(em) };
}

/**
 * Creates an account through the operator's service (the path of `gatehouse users add`), for
 * servers where anonymous registration cannot run (the basic backend refuses anonymous requests).
 */
export async function createAccount(
  server: TestServer,
  email: string,
  options: { password?: string; confirmed?: boolean; roles?: string[] } = {},
): Promise<string> {
  const user = await createUser(operatorScope(server), {
    email,
    password: options.password ?? STRONG_PASSWORD,
    confirmed: options.confirmed ?? true,
    roles: options.roles ?? [],
  });
  return user.id;
}

/** Every row of every table, as text: for proving a secret is stored nowhere. */
export async function databaseDump(server: TestServer): Promise<{ tables: string[]; text: string }> {
  const connection = server.gatehouse.services.orm.em.getConnection();
  const listTables =
    TEST_DIALECT === 'postgresql' ? `select table_name as name from information_schema.tables where table_schema = 'public'` : `select name from sqlite_master where type = 'table'`;
  const tables = (await connection.execute<Array<{ name: string }>>(listTables)).map((row) => row.name);
  const parts: string[] = [];
  for (const table of tables) {
    const rows = await connection.execute(`select * from "${table.replaceAll('"', '""')}"`);
    parts.push(`${table}: ${JSON.stringify(rows)}`);
  }
  return { tables, text: parts.join('\n') };
}

/** A stream for a pino logger that keeps every line written, so a test can search the log. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

/** The secret part of a token (after `gth_`) without its last four characters, which are shown on purpose. */
export function secretBody(token: string): string {
  return token.slice('gth_'.length, -4);
}

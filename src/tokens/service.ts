// Personal access tokens: creation (raw token shown once), listing, revocation, and the lookup
// used on every token-authenticated request (one indexed read; lastUsedAt written at most once a
// minute per token, so using a token costs about what using a session does).
import { isLockedOut } from '../accounts/lockout.ts';
import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/sql';
import { isOperator, viewerAccess, type RequestScope, type Services } from '../context.ts';
import { publishRevoked } from '../realtime/pubsub.ts';
import { AccessError, forbidden, notFound, ValidationFailedError, type FieldProblem } from '../errors.ts';
import { hashToken } from '../util/secrets.ts';
import { Permission } from '../access/entities.ts';
import { PERMISSIONS } from '../access/declarations.ts';
import { recordAudit } from '../audit/service.ts';
import { assertMayManage } from '../accounts/roles.ts';
import { SINGLE_LINE_MAX, singleLineProblem } from '../validation/text.ts';
import { AccessToken } from './entities.ts';
import { User } from '../accounts/entities.ts';
import { findJoinedRow } from '../db/hot-queries.ts';
import { memberRole } from '../organizations/access.ts';

declare module '../context.ts' {
  interface CredentialKinds {
    token: { kind: 'token'; via: 'bearer' | 'basic'; token: LiveAccessToken };
  }
}

/** Recognisable by secret scanners: `gth_` and 48 hex digits (192 bits from the CSPRNG). */
export const TOKEN_PREFIX = 'gth_';
const TOKEN_PATTERN = /^gth_[0-9a-f]{48}$/;
const LAST_USED_INTERVAL_MS = 60_000;
const MAX_TOKENS_PER_USER = 100;
const MAX_EXPIRY_DAYS = 3650;

export interface CreateAccessTokenInput {
  name: string;
  expiresInDays?: number | null;
  /** Limit the token to these permissions (each held by the owner); omitted = everything the owner may do. */
  permissions?: readonly string[] | null;
  /** Limit the token to this organization (the owner must be a member); it then holds only the global permissions it lists. */
  organizationId?: string | null;
}

export interface CreatedAccessToken {
  /** The raw token: returned once, never stored. */
  token: string;
  accessToken: AccessToken;
}

/**
 * The whole shape, not just the prefix: a session token is 43 random base64url characters, so about
 * one in 17 million starts with `gth_` too, and must still reach the session lookup.
 */
export function looksLikeAccessToken(text: string): boolean {
  return TOKEN_PATTERN.test(text);
}

/**
 * `text` with anything shaped like an access token cut to `gth_…` and its last four characters,
 * for values that are recorded verbatim (the email tried in a failed login): a user who pastes a
 * token into the wrong field must not leave it readable in the audit log.
 */
export function redactAccessTokens(text: string): string {
  return text.replace(/gth_[0-9a-f]{16,}/gi, (found) => `${TOKEN_PREFIX}…${found.slice(-4)}`);
}

function assertTokensAllowed(services: Services): void {
  if (!services.config.allowApiTokens) {
    throw forbidden('Personal access tokens are turned off on this server (ALLOW_API_TOKENS=false).');
  }
}

export async function createAccessToken(scope: RequestScope, input: CreateAccessTokenInput): Promise<CreatedAccessToken> {
  const { em, services } = scope;
  assertTokensAllowed(services);
  const owner = scope.viewer;
  if (!owner) throw new AccessError('UNAUTHENTICATED', 'Sign in to create a token.');
  // A token must not mint tokens: a restricted one would escape its restriction, and a leaked one
  // could renew itself forever. A password credential (AUTH_BACKEND=basic, or a deployer's
  // authenticator) proves as much as a session does, and is the only sign-in the basic backend has.
  if (!scope.credential || scope.credential.kind === 'token') {
    throw forbidden('Create access tokens while signed in (a session or a password), not with a token.');
  }

  const name = input.name.trim();
  const problems: FieldProblem[] = [];
  const nameProblem = name.length === 0 ? 'Enter a name.' : singleLineProblem(name, SINGLE_LINE_MAX);
  if (nameProblem) problems.push({ field: 'name', messages: [nameProblem] });
  const days = input.expiresInDays ?? null;
  if (days !== null && (!Number.isInteger(days) || days < 1 || days > MAX_EXPIRY_DAYS)) {
    problems.push({ field: 'expiresInDays', messages: [`Use a whole number of days from 1 to ${MAX_EXPIRY_DAYS}, or omit it.`] });
  }
  const permissions = input.permissions ? [...new Set(input.permissions)].sort() : null;
  if (permissions) problems.push(...(await permissionProblems(scope, permissions)));
  const organizationId = input.organizationId ?? null;
  if (organizationId !== null && (await memberRole(scope, organizationId, owner.id)) === null) {
    problems.push({ field: 'organizationId', messages: ['You are not a member of this organization.'] });
  }
  if ((await em.count(AccessToken, { user: owner.id })) >= MAX_TOKENS_PER_USER) {
    problems.push({ field: 'name', messages: [`You have ${MAX_TOKENS_PER_USER} tokens; revoke one first.`] });
  }
  if (problems.length) throw new ValidationFailedError(problems);

  const token = TOKEN_PREFIX + randomBytes(24).toString('hex');
  const now = services.clock.now();
  const accessToken = em.create(AccessToken, {
    user: owner,
    name,
    tokenHash: hashToken(token),
    lastFour: token.slice(-4),
    permissions,
    organization: organizationId,
    createdAt: now,
    expiresAt: days === null ? null : new Date(now.getTime() + days * 86_400_000),
    lastUsedAt: null,
  });
  await em.flush();
  await recordAudit(scope, {
    action: 'token.create',
    targetType: 'access_token',
    targetId: accessToken.id,
    details: { name, permissions, organizationId, expiresAt: accessToken.expiresAt?.toISOString() ?? null },
  });
  return { token, accessToken };
}

async function permissionProblems(scope: RequestScope, names: string[]): Promise<FieldProblem[]> {
  const known = new Set((await scope.em.find(Permission, { name: { $in: names } })).map((p) => p.name));
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length) return [{ field: 'permissions', messages: [`Unknown permissions: ${unknown.join(', ')}.`] }];
  const access = await viewerAccess(scope);
  const lacking = names.filter((name) => !access.can(name));
  if (lacking.length) return [{ field: 'permissions', messages: [`A token cannot hold permissions you do not: ${lacking.join(', ')}.`] }];
  return [];
}

export async function listAccessTokens(em: EntityManager, userId: string): Promise<AccessToken[]> {
  return em.find(AccessToken, { user: userId }, { orderBy: { createdAt: 'desc', id: 'desc' } });
}

/** Revokes one of the viewer's tokens, or anyone's for a holder of users:write. */
export async function revokeAccessToken(scope: RequestScope, id: string): Promise<void> {
  const token = await scope.em.findOne(AccessToken, { id }, { populate: ['user'] });
  const mayRevoke =
    token !== null && (isOperator(scope) || token.user.id === scope.viewer?.id || (await viewerAccess(scope)).can(PERMISSIONS.usersWrite));
  // The same answer for "no such token" and "not yours": ids of other people's tokens stay secret.
  if (!token || !mayRevoke) throw notFound('Access token');
  // Like every other admin action on an account: only admins act on an admin's credentials.
  await assertMayManage(scope, token.user);
  await scope.em.nativeDelete(AccessToken, { id });
  publishRevoked(scope.services, { userId: token.user.id, reason: 'TOKEN_REVOKED', tokenIds: [id] });
  await recordAudit(scope, {
    action: 'token.revoke',
    targetType: 'access_token',
    targetId: id,
    details: { name: token.name, ownerId: token.user.id },
  });
}

/** What a request knows of the access token it came with: a plain object (see LiveSession). */
export interface LiveAccessToken {
  id: string;
  user: User;
  /** Permission names the token is limited to; null means everything its owner may do. */
  permissions: string[] | null;
  /** The organization the token is limited to, or null. */
  organizationId: string | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

/** One statement for the token and its owner (this runs on every token-authenticated request). */
const TOKEN_LOOKUP =
  'select t.id as "t$id", t.permissions as "t$permissions", t.organization_id as "t$organization_id", t.expires_at as "t$expires_at", t.last_used_at as "t$last_used_at", u.* ' +
  'from access_tokens t join users u on u.id = t.user_id where t.token_hash = ?';

/**
 * The live token for a raw value (with its owner), or null: unknown, expired, owner disabled, or
 * tokens turned off. Deleting a user deletes their tokens (cascade), so they stop at once.
 */
export async function findAccessToken(em: EntityManager, services: Services, raw: string): Promise<LiveAccessToken | null> {
  if (!services.config.allowApiTokens || !TOKEN_PATTERN.test(raw)) return null;
  const found = await findJoinedRow(
    em,
    User,
    't$',
    TOKEN_LOOKUP,
    [hashToken(raw)],
  );
  const permissions = found?.own['permissions'];
  const token: LiveAccessToken | null = found && {
    id: found.own['id'] as string,
    user: found.entity,
    // JSON text on SQLite; PostgreSQL's jsonb arrives parsed.
    permissions: permissions == null ? null : ((typeof permissions === 'string' ? JSON.parse(permissions) : permissions) as string[]),
    organizationId: (found.own['organization_id'] as string | null) ?? null,
    expiresAt: found.own['expires_at'] == null ? null : new Date(found.own['expires_at'] as number),
    lastUsedAt: found.own['last_used_at'] == null ? null : new Date(found.own['last_used_at'] as number),
  };
  const now = services.clock.now();
  if (!token || isLockedOut(token.user, now) || (token.expiresAt && token.expiresAt <= now)) return null;
  if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() >= LAST_USED_INTERVAL_MS) {
    await em.nativeUpdate(AccessToken, { id: token.id }, { lastUsedAt: now });
    token.lastUsedAt = now;
  }
  return token;
}

// Session store: create, validate (one indexed lookup), slide, list and revoke.
// Revocation deletes the row, so it takes effect on the very next request.
import { isLockedOut } from '../accounts/lockout.ts';
import { loadViewerAccess } from '../accounts/roles.ts';
import { PERMISSIONS } from '../access/declarations.ts';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/sql';
import type { Config } from '../config/index.ts';
import type { Clock } from '../util/clock.ts';
import { generateToken, hashToken } from '../util/secrets.ts';
import { Session } from './entities.ts';
import { User } from '../accounts/entities.ts';
import type { UserSessions } from '../accounts/user-sessions.ts';
import type { RequestScope } from '../context.ts';
import { findJoinedRow, runStatement } from '../db/hot-queries.ts';
import { sessionCookie } from '../http/session-cookies.ts';

declare module '../context.ts' {
  interface CredentialKinds {
    session: { kind: 'session'; via: 'cookie' | 'bearer'; session: LiveSession };
  }
}

/** lastSeenAt/expiresAt are written at most this often per session, not on every request. */
const SLIDE_INTERVAL_MS = 60_000;

export interface SessionDeps {
  em: EntityManager;
  config: Config;
  clock: Clock;
  /** What domains above read in the same statement (services.sessionLookupJoins); none when absent. */
  joins?: readonly SessionLookupJoin[];
}

/**
 * Columns a domain above sessions reads with the session in its one lookup statement, so that a
 * request that needs them makes one statement, not two (the organizations domain's active organization).
 */
export interface SessionLookupJoin {
  /** The select list: `s` is the session and `u` its user; every column aliased `"<prefix>$<name>"`. */
  columns: string;
  /** Its `left join …` clauses (a session without a row there still matches). */
  joins: string;
}

declare module '../context.ts' {
  interface Services {
    sessionLookupJoins: readonly SessionLookupJoin[];
  }
}

export interface SessionOrigin {
  ip: string | null;
  userAgent: string | null;
}

export interface IssuedSession {
  session: Session;
  /** The raw bearer/cookie token: returned to the client once, never stored. */
  token: string;
}

/** How long an impersonation session lasts, however actively it is used. */
export const IMPERSONATION_TTL_MS = 60 * 60 * 1000;

/** The permission an impersonation session's admin must keep for it to go on working. */
export const IMPERSONATE_PERMISSION = PERMISSIONS.usersImpersonate;

/**
 * The moment a session ends however actively it is used: SESSION_TTL after sign-in, or an hour
 * after an impersonation began.
 */
export function absoluteExpiry(config: Config, createdAt: Date, impersonated = false): Date {
  return new Date(createdAt.getTime() + (impersonated ? Math.min(IMPERSONATION_TTL_MS, config.ttl.session) : config.ttl.session));
}

/** The Set-Cookie that hands a new session to a browser (it lives until the session's absolute end). */
export function issuedSessionCookie(config: Config, issued: IssuedSession): string {
  return sessionCookie(config, issued.token, absoluteExpiry(config, issued.session.createdAt));
}

function expiry(config: Config, createdAt: Date, now: Date, impersonated = false): Date {
  return new Date(Math.min(absoluteExpiry(config, createdAt, impersonated).getTime(), now.getTime() + config.ttl.sessionIdle));
}

/** An admin starting a session as another user (admin/impersonation.ts checks who may). */
export interface ImpersonationStart {
  impersonator: User;
  reason: string;
}

/** A sign-in's one write (prepared, src/db/hot-queries.ts): MikroORM's insert builds and compiles it anew each time. */
const INSERT_SESSION =
  'insert into sessions (id, token_hash, user_id, created_at, authenticated_at, last_seen_at, expires_at, ip_address, user_agent, impersonator_id, impersonation_reason) ' +
  'values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

export async function createSession(
  { em, config, clock }: SessionDeps,
  user: User,
  origin: SessionOrigin,
  impersonation?: ImpersonationStart,
): Promise<IssuedSession> {
  const token = generateToken();
  const now = clock.now();
  const session = em.create(
    Session,
    {
      id: randomUUID(),
      tokenHash: hashToken(token),
      user,
      createdAt: now,
      authenticatedAt: now,
      lastSeenAt: now,
      expiresAt: expiry(config, now, now, impersonation !== undefined),
      ipAddress: origin.ip?.slice(0, 64) ?? null,
      userAgent: origin.userAgent?.slice(0, 512) ?? null,
      impersonator: impersonation?.impersonator ?? null,
      impersonationReason: impersonation?.reason ?? null,
    },
    { persist: false },
  );
  await runStatement(em, INSERT_SESSION, [
    session.id,
    session.tokenHash,
    user.id,
    now,
    now,
    now,
    session.expiresAt,
    session.ipAddress ?? null,
    session.userAgent ?? null,
    impersonation?.impersonator.id ?? null,
    impersonation?.reason ?? null,
  ]);
  return { session, token };
}

/**
 * What a request knows of the session it came with. Read on every authenticated request, so it is
 * a plain object built from the row (mapping a Session entity cost ≈ 60 µs a request), with the
 * user as a managed entity.
 */
export interface LiveSession {
  id: string;
  user: User;
  createdAt: Date;
  /** The last time the user proved who they are in this session (sign-in or `reauthenticate`). */
  authenticatedAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  /** When this is an impersonation session: the admin acting as `user`, and why. Else null. */
  impersonation: { by: User; reason: string } | null;
  /**
   * The columns of `SessionDeps.joins` read with the session, by their aliases, as of the request's
   * start; null when none were read (a session created during the request).
   */
  joined: Readonly<Record<string, unknown>> | null;
}

/** One statement for the session and its owner (this runs on every session-authenticated request). */
const SESSION_COLUMNS =
  's.id as "s$id", s.created_at as "s$created_at", s.authenticated_at as "s$authenticated_at", s.last_seen_at as "s$last_seen_at", s.expires_at as "s$expires_at", s.impersonator_id as "s$impersonator_id", s.impersonation_reason as "s$impersonation_reason", u.*';
const SESSION_FROM = 'from sessions s join users u on u.id = s.user_id';
const NO_JOINS: readonly SessionLookupJoin[] = [];
const lookups = new WeakMap<readonly SessionLookupJoin[], string>();

/** The lookup statement with the joins' columns, built once per list of joins. */
function sessionLookup(joins: readonly SessionLookupJoin[]): string {
  let sql = lookups.get(joins);
  if (sql === undefined) {
    const columns = [SESSION_COLUMNS, ...joins.map((join) => join.columns)].join(', ');
    sql = `select ${columns} ${[SESSION_FROM, ...joins.map((join) => join.joins)].join(' ')} where s.token_hash = ?`;
    lookups.set(joins, sql);
  }
  return sql;
}

/** Returns the live session for a raw token (with its user), or null. Expired sessions are deleted. */
export async function findSessionByToken({ em, config, clock, joins = NO_JOINS }: SessionDeps, token: string): Promise<LiveSession | null> {
  if (token.length < 20 || token.length > 200) return null;
  const found = await findJoinedRow(em, User, 's$', sessionLookup(joins), [hashToken(token)]);
  if (!found) return null;
  const session: LiveSession = {
    id: found.own['id'] as string,
    user: found.entity,
    createdAt: new Date(found.own['created_at'] as number),
    authenticatedAt: new Date((found.own['authenticated_at'] ?? found.own['created_at']) as number),
    lastSeenAt: new Date(found.own['last_seen_at'] as number),
    expiresAt: new Date(found.own['expires_at'] as number),
    impersonation: null,
    joined: joins.length ? found.joined : null,
  };
  const now = clock.now();
  if (session.expiresAt <= now) {
    await em.nativeDelete(Session, { id: session.id });
    return null;
  }
  if (isLockedOut(session.user, now)) return null;
  const impersonatorId = found.own['impersonator_id'] as string | null;
  if (impersonatorId) {
    // An impersonation lasts only while its admin may still sign in and still holds the permission.
    const impersonator = await em.findOne(User, { id: impersonatorId });
    if (!impersonator || isLockedOut(impersonator, now) || !(await loadViewerAccess(em, impersonator)).can(IMPERSONATE_PERMISSION)) {
      await em.nativeDelete(Session, { id: session.id });
      return null;
    }
    session.impersonation = { by: impersonator, reason: (found.own['impersonation_reason'] as string | null) ?? '' };
  }
  if (now.getTime() - session.lastSeenAt.getTime() >= SLIDE_INTERVAL_MS) {
    const expiresAt = expiry(config, session.createdAt, now, impersonatorId !== null);
    await em.nativeUpdate(Session, { id: session.id }, { lastSeenAt: now, expiresAt });
    Object.assign(session, { lastSeenAt: now, expiresAt });
  }
  return session;
}

/** A session just created, as the rest of its request sees it. */
export function liveSessionOf(session: Session): LiveSession {
  const { id, user, createdAt, lastSeenAt, expiresAt } = session;
  const by = (session.impersonator as User | null | undefined) ?? null;
  const impersonation = by && { by, reason: session.impersonationReason ?? '' };
  return { id, user, createdAt, authenticatedAt: session.authenticatedAt ?? createdAt, lastSeenAt, expiresAt, impersonation, joined: null };
}

/** The user proved who they are again in this session (step-up): sensitive operations are open again. */
export async function markReauthenticated(em: EntityManager, session: LiveSession, now: Date): Promise<void> {
  await em.nativeUpdate(Session, { id: session.id }, { authenticatedAt: now });
  session.authenticatedAt = now;
}

export async function listSessions({ em, clock }: SessionDeps, userId: string): Promise<Session[]> {
  return em.find(Session, { user: userId, expiresAt: { $gt: clock.now() } }, { orderBy: { lastSeenAt: 'desc' }, populate: ['impersonator'] });
}

/** Deletes one of the user's sessions; false when the user has no session with that id. */
export async function revokeSession(em: EntityManager, userId: string, sessionId: string): Promise<boolean> {
  return (await em.nativeDelete(Session, { id: sessionId, user: userId })) > 0;
}

export async function revokeOtherSessions(em: EntityManager, userId: string, keepSessionId: string | null): Promise<number> {
  const where = keepSessionId ? { user: userId, id: { $ne: keepSessionId } } : { user: userId };
  return em.nativeDelete(Session, where);
}

export async function revokeAllSessions(em: EntityManager, userId: string): Promise<number> {
  return em.nativeDelete(Session, { user: userId });
}

/** The id of the session the request was made with, or null (anonymous, access token, Basic). */
export function currentSessionId(scope: Pick<RequestScope, 'credential'>): string | null {
  return scope.credential?.kind === 'session' ? scope.credential.session.id : null;
}

/** The sessions port accounts/ ends sessions through (accounts/user-sessions.ts). */
export const userSessions: UserSessions = {
  currentId: currentSessionId,
  revoke: revokeOtherSessions,
};

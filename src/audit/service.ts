// Recording and reading audit events. Every service that changes accounts, access or settings calls
// `recordAudit`; the log is append-only (nothing updates or deletes rows but retention.ts).
import type { EntityManager } from '@mikro-orm/sql';
import type { FilterQuery } from '@mikro-orm/core';
import type { RequestScope } from '../context.ts';
import { AccessError } from '../errors.ts';
import { AuditEvent, type ActorType } from './entities.ts';
import { runStatement } from '../db/hot-queries.ts';

/** The permission that lets a viewer read the audit log (declared with the built-ins in access/declarations.ts). */
export const AUDIT_READ_PERMISSION = 'audit:read';

/** The actions recorded by accounts, auth and setup (other domains name theirs alike: `<domain>.<verb>`). */
export const AUDIT_ACTIONS = {
  login: 'auth.login',
  loginFailed: 'auth.login_failed',
  logout: 'auth.logout',
  register: 'account.register',
  confirmEmail: 'account.confirm_email',
  changePassword: 'account.change_password',
  requestPasswordReset: 'account.request_password_reset',
  resetPassword: 'account.reset_password',
  requestEmailChange: 'account.request_email_change',
  emailChange: 'account.email_change',
  cancelEmailChange: 'account.cancel_email_change',
  setupComplete: 'setup.complete',
  adminEnsured: 'setup.ensure_admin',
} as const;

export interface AuditEntry {
  action: string;
  targetType?: string;
  targetId?: string | null;
  /** Small, non-secret facts (never passwords or tokens). */
  details?: Record<string, unknown>;
  /** The organization the event happened in (organizations/): readable as `AuditEvent.organizationId` and filterable. */
  organizationId?: string | null;
  /** Overrides the actor taken from the scope (e.g. the email tried in a failed login). */
  actorEmail?: string;
}

/**
 * What a listener is told about an event just recorded. It runs with the same EntityManager as the
 * change (inside its transaction when there is one), so what it writes commits or rolls back with it.
 */
export interface RecordedAudit extends AuditEntry {
  at: Date;
  actorType: ActorType;
  actorId: string | null;
  ip: string | null;
}

/** A port for domains above audit/ (webhooks/): told of the recorded events it wants, in order. */
export interface AuditListener {
  /** Whether `onRecorded` must run for this action (asked first, so the others cost nothing). */
  wants(action: string): boolean;
  onRecorded(em: EntityManager, event: RecordedAudit): Promise<void>;
}

declare module '../context.ts' {
  interface Services {
    /** Told of every audit event, with the change's EntityManager (src/services.ts fills it). */
    auditListeners: AuditListener[];
  }
}

export type AuditScope = Pick<RequestScope, 'em' | 'services' | 'viewer' | 'ip' | 'userAgent'> & {
  /** Who acts when there is no viewer: the command line or the server itself. */
  actorType?: ActorType;
  /** An admin acting as the viewer (an impersonation session): they are the actor, the viewer its subject. */
  impersonator?: RequestScope['impersonator'];
};

/** Column sizes: an over-long value (a 10 kB "email" typed into login) is cut, not refused. */
const cut = (value: string | null | undefined, max: number): string | null => (value ? value.slice(0, max) : null);

/** Every sign-in writes one (prepared, src/db/hot-queries.ts): MikroORM's insert builds and compiles it anew each time. */
const INSERT_AUDIT_EVENT =
  'insert into audit_events (at, actor_type, actor_id, actor_email, impersonated_user_id, impersonated_user_email, action, target_type, target_id, organization_id, ip, user_agent, details) ' +
  'values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

type AuditRow = Omit<AuditEvent, 'id'>;

function insertAuditRow(em: EntityManager, row: AuditRow): Promise<number> {
  return runStatement(em, INSERT_AUDIT_EVENT, [
    row.at,
    row.actorType,
    row.actorId,
    row.actorEmail,
    row.impersonatedUserId,
    row.impersonatedUserEmail,
    row.action,
    row.targetType,
    row.targetId,
    row.organizationId,
    row.ip,
    row.userAgent,
    // A JSON column: text on SQLite, jsonb (cast from the text) on PostgreSQL, as MikroORM writes it.
    row.details == null ? null : JSON.stringify(row.details),
  ].map((value) => value ?? null));
}

export async function recordAudit(scope: AuditScope, entry: AuditEntry): Promise<void> {
  const viewer = scope.viewer;
  // In an impersonation session the admin is accountable for what is done: they are the actor, and
  // the account they act as is recorded beside them.
  const impersonator = viewer && scope.impersonator?.userId === viewer.id ? scope.impersonator : null;
  const actor = impersonator ?? viewer;
  const at = scope.services.clock.now();
  const actorType: ActorType = actor ? 'user' : (scope.actorType ?? 'anonymous');
  const row: AuditRow = {
    at,
    actorType,
    actorId: actor?.id ?? null,
    actorEmail: cut(entry.actorEmail ?? actor?.email, 320),
    impersonatedUserId: impersonator ? viewer!.id : null,
    impersonatedUserEmail: impersonator ? cut(viewer!.email, 320) : null,
    action: entry.action,
    targetType: cut(entry.targetType, 32),
    targetId: cut(entry.targetId, 64),
    organizationId: entry.organizationId ?? null,
    ip: cut(scope.ip, 64),
    userAgent: cut(scope.userAgent, 512),
    details: entry.details ?? null,
  };
  const listeners = scope.services.auditListeners.filter((listener) => listener.wants(entry.action));
  if (!listeners.length) {
    await insertAuditRow(scope.em, row);
    return;
  }
  const event: RecordedAudit = { ...entry, at, actorType, actorId: actor?.id ?? null, ip: row.ip ?? null };
  const write = async (em: EntityManager) => {
    await insertAuditRow(em, row);
    for (const listener of listeners) await listener.onRecorded(em, event);
  };
  // What listeners write commits with the event: in the change's transaction, or in one of their own.
  if (scope.em.isInTransaction()) await write(scope.em);
  else await scope.em.transactional(write);
}

/** The scope of work the server does on its own (at start, on a timer): no request, no viewer. */
export function systemAuditScope(em: EntityManager, services: AuditScope['services']): AuditScope {
  return { em, services, viewer: null, ip: '', userAgent: null, actorType: 'system' };
}

export interface AuditFilter {
  actorId?: string | null;
  impersonatedUserId?: string | null;
  targetId?: string | null;
  organizationId?: string | null;
  action?: string | null;
  /** Inclusive. */
  since?: Date | null;
  /** Exclusive. */
  until?: Date | null;
}

export interface AuditPage {
  events: AuditEvent[];
  hasNextPage: boolean;
}

export const AUDIT_PAGE_DEFAULT = 20;
export const AUDIT_PAGE_MAX = 100;

const CURSOR_PREFIX = 'audit:';

/** Opaque to clients; a keyset position (the event id) to us. */
export function auditCursor(event: Pick<AuditEvent, 'id'>): string {
  return Buffer.from(`${CURSOR_PREFIX}${event.id}`, 'utf8').toString('base64url');
}

function parseAuditCursor(cursor: string): number {
  const text = /^[A-Za-z0-9_-]{1,40}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = /^audit:([1-9]\d{0,14})$/.exec(text);
  if (!match) throw new AccessError('BAD_USER_INPUT', 'The `after` cursor is not valid.');
  return Number(match[1]);
}

/**
 * Newest first, keyset-paginated on the autoincrement id: a page costs the same wherever it is.
 * `first` is capped at AUDIT_PAGE_MAX.
 */
export async function listAuditEvents(
  em: EntityManager,
  args: { first?: number | null; after?: string | null; filter?: AuditFilter | null },
): Promise<AuditPage> {
  const first = args.first ?? AUDIT_PAGE_DEFAULT;
  if (!Number.isInteger(first) || first < 0) throw new AccessError('BAD_USER_INPUT', '`first` must be zero or more.');
  const limit = Math.min(first, AUDIT_PAGE_MAX);
  const where: FilterQuery<AuditEvent> = {};
  if (args.after != null) where.id = { $lt: parseAuditCursor(args.after) };
  const filter = args.filter ?? {};
  if (filter.actorId != null) where.actorId = filter.actorId;
  if (filter.impersonatedUserId != null) where.impersonatedUserId = filter.impersonatedUserId;
  if (filter.targetId != null) where.targetId = filter.targetId;
  if (filter.organizationId != null) where.organizationId = filter.organizationId;
  if (filter.action != null) where.action = filter.action;
  if (filter.since != null || filter.until != null) {
    where.at = {
      ...(filter.since != null ? { $gte: filter.since } : {}),
      ...(filter.until != null ? { $lt: filter.until } : {}),
    };
  }
  const rows = await em.find(AuditEvent, where, { orderBy: { id: 'desc' }, limit: limit + 1 });
  return { events: rows.slice(0, limit), hasNextPage: rows.length > limit };
}

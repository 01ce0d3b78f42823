// Recording audit events. Every service that changes accounts, access or settings calls
// `recordAudit`; the log is append-only (nothing updates or deletes rows but retention).
import type { RequestScope } from '../context.ts';
import { AuditEvent, type ActorType } from './entities.ts';

export interface AuditEntry {
  action: string;
  targetType?: string;
  targetId?: string | null;
  /** Small, non-secret facts (never passwords or tokens). */
  details?: Record<string, unknown>;
  /** Overrides the actor taken from the scope (e.g. the email tried in a failed login). */
  actorEmail?: string;
}

export type AuditScope = Pick<RequestScope, 'em' | 'services' | 'viewer' | 'ip' | 'userAgent'> & {
  /** Who acts when there is no viewer: the command line or the server itself. */
  actorType?: ActorType;
};

export async function recordAudit(scope: AuditScope, entry: AuditEntry): Promise<void> {
  const viewer = scope.viewer;
  await scope.em.insert(AuditEvent, {
    at: scope.services.clock.now(),
    actorType: viewer ? 'user' : (scope.actorType ?? 'anonymous'),
    actorId: viewer?.id ?? null,
    actorEmail: entry.actorEmail ?? viewer?.email ?? null,
    action: entry.action,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    ip: scope.ip || null,
    userAgent: scope.userAgent?.slice(0, 512) ?? null,
    details: entry.details ?? null,
  });
}

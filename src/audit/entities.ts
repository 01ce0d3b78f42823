// The audit log: an append-only record of who did what to whom, when and from where.
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const ACTOR_TYPES = ['user', 'anonymous', 'system', 'cli'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

export const AuditEvent = defineEntity({
  name: 'AuditEvent',
  tableName: 'audit_events',
  indexes: [{ properties: ['at'] }, { properties: ['actorId'] }, { properties: ['targetId'] }, { properties: ['action'] }, { properties: ['organizationId'] }],
  properties: {
    /** Increasing: newest-first pagination goes by id alone. */
    id: p.integer().primary().autoincrement(),
    at: p.datetime(),
    actorType: p.enum(ACTOR_TYPES),
    /** The acting user's id (no foreign key: the trail outlives deleted users). */
    actorId: p.string().length(36).nullable(),
    /** The actor's email at the time, so the trail stays readable after changes. */
    actorEmail: p.string().length(320).nullable(),
    /**
     * In an impersonation session, the account acted as (the actor is the admin who impersonates it);
     * null otherwise.
     */
    impersonatedUserId: p.string().length(36).nullable(),
    impersonatedUserEmail: p.string().length(320).nullable(),
    action: p.string().length(64),
    targetType: p.string().length(32).nullable(),
    targetId: p.string().length(64).nullable(),
    /** The organization the event happened in (organizations/), when there is one; no foreign key, like actorId. */
    organizationId: p.string().length(36).nullable(),
    ip: p.string().length(64).nullable(),
    userAgent: p.string().length(512).nullable(),
    details: p.json<Record<string, unknown>>().nullable(),
  },
});
export type AuditEvent = InferEntity<typeof AuditEvent>;

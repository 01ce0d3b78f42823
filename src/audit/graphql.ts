// GraphQL for reading the audit log: `auditEvents`, newest first, a Relay connection paginated
// forward by an opaque cursor. Needs the `audit:read` permission (admins hold it).
import { builder } from '../schema/builder.ts';
import type { AuditEvent } from './entities.ts';
import { AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX, AUDIT_READ_PERMISSION, auditCursor, listAuditEvents } from './service.ts';

const readAudit = { permission: AUDIT_READ_PERMISSION };

const ActorTypeEnum = builder.enumType('AuditActorType', {
  description: 'Who acted: a signed-in user, an anonymous client, the server itself, or the command line.',
  values: {
    USER: { value: 'user' },
    ANONYMOUS: { value: 'anonymous' },
    SYSTEM: { value: 'system' },
    CLI: { value: 'cli' },
  } as const,
});

const AuditEventRef = builder.objectRef<AuditEvent>('AuditEvent').implement({
  description: 'One entry of the append-only audit log.',
  authScopes: readAudit,
  fields: (t) => ({
    id: t.id({ resolve: (event) => String(event.id) }),
    at: t.expose('at', { type: 'DateTime' }),
    actorType: t.field({ type: ActorTypeEnum, resolve: (event) => event.actorType }),
    actorId: t.exposeID('actorId', { nullable: true, description: 'The acting user, when there is one.' }),
    actorEmail: t.exposeString('actorEmail', {
      nullable: true,
      description: "The actor's email at the time; for a failed login, the email tried.",
    }),
    impersonatedUserId: t.exposeID('impersonatedUserId', {
      nullable: true,
      description: 'Set when the actor did this while impersonating a user (`impersonateUser`): the account acted as.',
    }),
    impersonatedUserEmail: t.exposeString('impersonatedUserEmail', { nullable: true, description: "That account's email at the time." }),
    action: t.exposeString('action', { description: 'What happened, e.g. `auth.login`, `auth.login_failed`, `setup.complete`.' }),
    targetType: t.exposeString('targetType', { nullable: true }),
    targetId: t.exposeID('targetId', { nullable: true }),
    organizationId: t.exposeID('organizationId', { nullable: true, description: 'The organization the event happened in, for organization events (`organization.*`).' }),
    ip: t.exposeString('ip', { nullable: true }),
    userAgent: t.exposeString('userAgent', { nullable: true }),
    details: t.string({
      nullable: true,
      description: 'Small, non-secret facts as JSON text.',
      resolve: (event) => (event.details == null ? null : JSON.stringify(event.details)),
    }),
  }),
});

const AuditEventConnection = builder.connectionObject(
  { type: AuditEventRef, name: 'AuditEventConnection' },
  { name: 'AuditEventEdge' },
);

const AuditEventFilter = builder.inputType('AuditEventFilter', {
  description: 'Every given condition must hold.',
  fields: (t) => ({
    actorId: t.id({ required: false }),
    impersonatedUserId: t.id({ required: false, description: 'Events done by an admin acting as this user.' }),
    targetId: t.id({ required: false }),
    organizationId: t.id({ required: false, description: 'Events in this organization.' }),
    action: t.string({ required: false }),
    since: t.field({ type: 'DateTime', required: false, description: 'Events at or after this time.' }),
    until: t.field({ type: 'DateTime', required: false, description: 'Events before this time.' }),
  }),
});

builder.queryFields((t) => ({
  auditEvents: t.field({
    type: AuditEventConnection,
    authScopes: readAudit,
    description:
      `The audit log, newest first. \`first\` defaults to ${AUDIT_PAGE_DEFAULT} and is capped at ${AUDIT_PAGE_MAX}; ` +
      'pass the last `endCursor` as `after` for the next page (an invalid cursor is BAD_USER_INPUT).',
    args: {
      first: t.arg.int({ required: false }),
      after: t.arg.string({ required: false }),
      filter: t.arg({ type: AuditEventFilter, required: false }),
    },
    resolve: async (_root, args, ctx) => {
      const page = await listAuditEvents(ctx.em, args);
      const edges = page.events.map((node) => ({ cursor: auditCursor(node), node }));
      return {
        edges,
        pageInfo: {
          hasNextPage: page.hasNextPage,
          // Forward pagination only (the Relay spec allows false here).
          hasPreviousPage: false,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
      };
    },
  }),
}));

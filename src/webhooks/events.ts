// The public event types and how audit events become them. Audit actions are internal names; these
// are the contract with receivers, so each is listed here with the audit actions that produce it.
import type { RecordedAudit } from '../audit/service.ts';

export const WEBHOOK_EVENT_TYPES = {
  'user.created': 'An account was created: self-service registration, OAuth sign-up, an admin, first-run setup or ADMIN_EMAIL.',
  'user.email_confirmed': 'An account confirmed its email address with the emailed link.',
  'user.email_changed': 'An account changed its email address (the new one is confirmed).',
  'user.password_changed': 'A password was changed by its owner, reset with an emailed link, or set by an admin.',
  'user.disabled': 'An admin disabled an account.',
  'user.enabled': 'An admin enabled a disabled account again.',
  'user.banned': 'An admin banned an account until a time.',
  'user.deleted': 'An account was deleted, by its owner or by an admin.',
  'auth.sign_in_throttled': 'Wrong passwords for an existing account reached the throttle: further sign-ins from that address (or, past the hourly cap, from new ones) must wait.',
} as const;
export type WebhookEventType = keyof typeof WEBHOOK_EVENT_TYPES;

/** In an endpoint's list: every event type, present and future. */
export const ALL_EVENTS = '*';

export const isEventType = (name: string): name is WebhookEventType => Object.hasOwn(WEBHOOK_EVENT_TYPES, name);

interface Mapping {
  type: WebhookEventType;
  /** Facts of the audit event worth sending (never secrets: the audit log holds none either). */
  data?: (event: RecordedAudit) => Record<string, unknown>;
}

const via = (how: string) => () => ({ via: how });

/** Audit action → public event. Actions not listed send nothing. */
const MAPPINGS: Record<string, Mapping> = {
  'account.register': { type: 'user.created', data: (e) => ({ via: e.details?.method === 'oauth' ? 'oauth' : 'register' }) },
  'user.create': { type: 'user.created', data: via('admin') },
  'setup.complete': { type: 'user.created', data: via('setup') },
  'account.confirm_email': { type: 'user.email_confirmed' },
  'account.email_change': { type: 'user.email_changed', data: (e) => ({ previousEmail: e.details?.from ?? null }) },
  'account.change_password': { type: 'user.password_changed', data: via('change') },
  'account.reset_password': { type: 'user.password_changed', data: via('reset') },
  'user.password.set': { type: 'user.password_changed', data: via('admin') },
  'user.disable': { type: 'user.disabled' },
  'user.enable': { type: 'user.enabled' },
  'user.ban': { type: 'user.banned', data: (e) => ({ until: e.details?.until ?? null }) },
  'account.delete': { type: 'user.deleted', data: via('self') },
  'user.delete': { type: 'user.deleted', data: via('admin') },
};

/** Actions whose event depends on their details: `setup.ensure_admin` counts only when it created the account, a failed sign-in only when it tripped the throttle. */
const CONDITIONAL: Record<string, (event: RecordedAudit) => { type: WebhookEventType; data: Record<string, unknown> } | null> = {
  'setup.ensure_admin': (e) => (e.details?.created === true ? { type: 'user.created', data: { via: 'admin_email' } } : null),
  'auth.login_failed': (e) => (e.details?.throttled === true && e.targetType === 'user' && e.targetId ? { type: 'auth.sign_in_throttled', data: { ip: e.ip } } : null),
};

/** Cheap first test (audit/service.ts asks before calling the outbox): could this action send anything? */
export const mayBecomeWebhookEvent = (action: string): boolean => Object.hasOwn(MAPPINGS, action) || Object.hasOwn(CONDITIONAL, action);

/** The public event an audit event stands for, or null. */
export function webhookEventOf(event: RecordedAudit): { type: WebhookEventType; data: Record<string, unknown> } | null {
  const conditional = CONDITIONAL[event.action];
  if (conditional) return conditional(event);
  const mapping = MAPPINGS[event.action];
  if (!mapping || event.targetType !== 'user' || !event.targetId) return null;
  return { type: mapping.type, data: mapping.data?.(event) ?? {} };
}

/** Whether an endpoint subscribed to these types wants this event. */
export const wants = (eventTypes: readonly string[], type: string): boolean => eventTypes.includes(ALL_EVENTS) || eventTypes.includes(type);

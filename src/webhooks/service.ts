// Managing webhook endpoints (admins, over GraphQL and the command line) and reading their
// deliveries. Every change is audited; signing secrets are shown once and stored sealed.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { EntityManager } from '@mikro-orm/sql';
import type { RequestScope, Services } from '../context.ts';
import { AccessError, notFound, ValidationFailedError, type FieldProblem } from '../errors.ts';
import { recordAudit } from '../audit/service.ts';
import { WebhookDelivery, WebhookEndpoint } from './entities.ts';
import { ALL_EVENTS, isEventType } from './events.ts';
import { isPublicAddress } from './transport.ts';

export const WEBHOOK_AUDIT_ACTIONS = {
  create: 'webhook.create',
  update: 'webhook.update',
  rotateSecret: 'webhook.rotate_secret',
  delete: 'webhook.delete',
  replay: 'webhook.replay',
} as const;

export const URL_MAX = 2048;
export const DESCRIPTION_MAX = 200;
/** How long the old secret may keep signing after a rotation, at most (a week). */
export const OVERLAP_HOURS_MAX = 168;
export const DEFAULT_OVERLAP_HOURS = 24;

/** `whsec_` and 32 random bytes in base64: the form Standard Webhooks libraries take as is. */
export const newSigningSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** What is wrong with an endpoint URL: https anywhere public; http only to this machine, and not in production. */
export function urlProblems(config: Services['config'], text: string): string[] {
  if (text.length > URL_MAX) return [`Use at most ${URL_MAX} characters.`];
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return ['Enter an absolute URL such as https://example.com/webhooks.'];
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return ['Use an https:// URL.'];
  if (url.username || url.password) return ['Leave credentials out of the URL: receivers check the signature instead.'];
  const production = config.env === 'production';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol === 'http:' && !(loopback && !production)) {
    return [production ? 'Use an https:// URL.' : 'Use an https:// URL (http:// only to this machine, e.g. http://127.0.0.1, outside production).'];
  }
  if (production && (loopback || (isIP(host) && !isPublicAddress(host)))) return ['Use a public address: private, loopback and link-local ones are refused in production.'];
  return [];
}

/** The event types as stored (unique, sorted), or problems. */
function eventTypeProblems(types: string[]): { types: string[]; problems: string[] } {
  const unique = [...new Set(types.map((t) => t.trim()))].sort();
  if (!unique.length) return { types: unique, problems: [`Name at least one event type, or "${ALL_EVENTS}" for every one.`] };
  const unknown = unique.filter((t) => t !== ALL_EVENTS && !isEventType(t));
  return { types: unique, problems: unknown.length ? [`Unknown event type${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (see webhookEventTypes).`] : [] };
}

export interface EndpointInput {
  url?: string | null;
  eventTypes?: string[] | null;
  description?: string | null;
  enabled?: boolean | null;
}

/** Validates what is given (all of it, when creating); returns the values to store. */
function checkEndpointInput(config: Services['config'], input: EndpointInput, creating: boolean): Partial<Pick<WebhookEndpoint, 'url' | 'eventTypes' | 'description' | 'enabled'>> {
  const problems: FieldProblem[] = [];
  const values: Partial<Pick<WebhookEndpoint, 'url' | 'eventTypes' | 'description' | 'enabled'>> = {};
  const refuseNull = (field: keyof EndpointInput) => problems.push({ field, messages: ['Cannot be null: leave it out to keep it.'] });
  if (input.url != null) {
    const url = input.url.trim();
    const messages = urlProblems(config, url);
    if (messages.length) problems.push({ field: 'url', messages });
    values.url = url;
  } else if (creating || input.url === null) problems.push({ field: 'url', messages: ['Required.'] });
  if (input.eventTypes != null) {
    const checked = eventTypeProblems(input.eventTypes);
    if (checked.problems.length) problems.push({ field: 'eventTypes', messages: checked.problems });
    values.eventTypes = checked.types;
  } else if (creating || input.eventTypes === null) problems.push({ field: 'eventTypes', messages: [`Name at least one event type, or "${ALL_EVENTS}" for every one.`] });
  if (input.description !== undefined) {
    const description = input.description?.trim() || null;
    if (description && description.length > DESCRIPTION_MAX) problems.push({ field: 'description', messages: [`Use at most ${DESCRIPTION_MAX} characters.`] });
    values.description = description;
  }
  if (input.enabled != null) values.enabled = input.enabled;
  else if (input.enabled === null) refuseNull('enabled');
  if (problems.length) throw new ValidationFailedError(problems);
  return values;
}

export async function findEndpoint(em: EntityManager, id: string): Promise<WebhookEndpoint> {
  const endpoint = await em.findOne(WebhookEndpoint, { id });
  if (!endpoint) throw notFound('Webhook endpoint');
  return endpoint;
}

export const listEndpoints = (em: EntityManager): Promise<WebhookEndpoint[]> => em.find(WebhookEndpoint, {}, { orderBy: { createdAt: 'asc', id: 'asc' } });

const auditTarget = (endpoint: WebhookEndpoint) => ({ targetType: 'webhook', targetId: endpoint.id });

export interface EndpointWithSecret {
  endpoint: WebhookEndpoint;
  /** Shown once: only its sealed form is kept. */
  secret: string;
}

export async function createEndpoint(scope: RequestScope, input: EndpointInput): Promise<EndpointWithSecret> {
  const { services } = scope;
  const values = checkEndpointInput(services.config, input, true);
  const secret = newSigningSecret();
  const now = services.clock.now();
  const id = await scope.em.transactional(async (tx) => {
    const endpoint = tx.create(WebhookEndpoint, {
      url: values.url!,
      eventTypes: values.eventTypes!,
      description: values.description ?? null,
      enabled: values.enabled ?? true,
      secret: services.secrets.seal(secret),
      previousSecret: null,
      previousSecretUntil: null,
      createdAt: now,
      updatedAt: now,
    });
    await tx.flush();
    await recordAudit({ ...scope, em: tx }, { action: WEBHOOK_AUDIT_ACTIONS.create, ...auditTarget(endpoint), details: { url: endpoint.url, eventTypes: endpoint.eventTypes, enabled: endpoint.enabled } });
    return endpoint.id;
  });
  return { endpoint: await findEndpoint(scope.em, id), secret };
}

export async function updateEndpoint(scope: RequestScope, id: string, input: EndpointInput): Promise<WebhookEndpoint> {
  const { em, services } = scope;
  const endpoint = await findEndpoint(em, id);
  const values = checkEndpointInput(services.config, input, false);
  const changed = (Object.keys(values) as Array<keyof typeof values>).filter((key) => JSON.stringify(values[key]) !== JSON.stringify(endpoint[key]));
  if (!changed.length) return endpoint;
  await em.transactional(async (tx) => {
    await tx.nativeUpdate(WebhookEndpoint, { id }, { ...values, updatedAt: services.clock.now() });
    await recordAudit({ ...scope, em: tx }, { action: WEBHOOK_AUDIT_ACTIONS.update, ...auditTarget(endpoint), details: { changed, ...Object.fromEntries(changed.map((key) => [key, values[key]])) } });
  });
  await em.refresh(endpoint);
  return endpoint;
}

/** A new secret signs from now on; the old one signs beside it for `overlapHours` (0: stops at once). */
export async function rotateSecret(scope: RequestScope, id: string, overlapHours: number = DEFAULT_OVERLAP_HOURS): Promise<EndpointWithSecret> {
  const { em, services } = scope;
  const endpoint = await findEndpoint(em, id);
  if (!Number.isInteger(overlapHours) || overlapHours < 0 || overlapHours > OVERLAP_HOURS_MAX) {
    throw ValidationFailedError.field('overlapHours', `Use a whole number of hours from 0 to ${OVERLAP_HOURS_MAX}.`);
  }
  const secret = newSigningSecret();
  const now = services.clock.now();
  const until = overlapHours > 0 ? new Date(now.getTime() + overlapHours * 3_600_000) : null;
  await em.transactional(async (tx) => {
    await tx.nativeUpdate(
      WebhookEndpoint,
      { id },
      { secret: services.secrets.seal(secret), previousSecret: until ? endpoint.secret : null, previousSecretUntil: until, updatedAt: now },
    );
    await recordAudit({ ...scope, em: tx }, { action: WEBHOOK_AUDIT_ACTIONS.rotateSecret, ...auditTarget(endpoint), details: { overlapHours } });
  });
  await em.refresh(endpoint);
  return { endpoint, secret };
}

/** Deletes the endpoint with its deliveries (the events stay for the other endpoints). */
export async function deleteEndpoint(scope: RequestScope, id: string): Promise<{ id: string; url: string }> {
  const endpoint = await findEndpoint(scope.em, id);
  await scope.em.transactional(async (tx) => {
    await recordAudit({ ...scope, em: tx }, { action: WEBHOOK_AUDIT_ACTIONS.delete, ...auditTarget(endpoint), details: { url: endpoint.url } });
    await tx.nativeDelete(WebhookEndpoint, { id });
  });
  return { id: endpoint.id, url: endpoint.url };
}

export const DELIVERY_PAGE_DEFAULT = 20;
export const DELIVERY_PAGE_MAX = 100;

export const deliveryCursor = (delivery: Pick<WebhookDelivery, 'id'>): string => Buffer.from(`delivery:${delivery.id}`, 'utf8').toString('base64url');

function parseDeliveryCursor(cursor: string): number {
  const text = /^[A-Za-z0-9_-]{1,40}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = /^delivery:([1-9]\d{0,14})$/.exec(text);
  if (!match) throw new AccessError('BAD_USER_INPUT', 'The `after` cursor is not valid.');
  return Number(match[1]);
}

/** An endpoint's deliveries, newest first, keyset-paginated on the id. */
export async function listDeliveries(em: EntityManager, endpointId: string, args: { first?: number | null; after?: string | null }): Promise<{ deliveries: WebhookDelivery[]; hasNextPage: boolean }> {
  const first = args.first ?? DELIVERY_PAGE_DEFAULT;
  if (!Number.isInteger(first) || first < 0) throw new AccessError('BAD_USER_INPUT', '`first` must be zero or more.');
  await findEndpoint(em, endpointId);
  const limit = Math.min(first, DELIVERY_PAGE_MAX);
  const rows = await em.find(
    WebhookDelivery,
    { endpoint: endpointId, ...(args.after != null ? { id: { $lt: parseDeliveryCursor(args.after) } } : {}) },
    { orderBy: { id: 'desc' }, limit: limit + 1, populate: ['event'] },
  );
  return { deliveries: rows.slice(0, limit), hasNextPage: rows.length > limit };
}

/**
 * Sends a delivery again, with the same `webhook-id` (receivers that processed it already can
 * tell), and a fresh retry period. One being attempted right now is left to finish.
 */
export async function replayDelivery(scope: RequestScope, id: number): Promise<WebhookDelivery> {
  const { em, services } = scope;
  const delivery = await em.findOne(WebhookDelivery, { id }, { populate: ['event'] });
  if (!delivery) throw notFound('Webhook delivery');
  const now = services.clock.now();
  const inFlight = delivery.status === 'pending' && delivery.leaseUntil != null && delivery.leaseUntil > now;
  if (!inFlight) {
    await em.transactional(async (tx) => {
      await tx.nativeUpdate(
        WebhookDelivery,
        { id },
        { status: 'pending', nextAttemptAt: now, leaseUntil: null, retryUntil: new Date(now.getTime() + services.config.webhooks.retryPeriodMs) },
      );
      await recordAudit({ ...scope, em: tx }, { action: WEBHOOK_AUDIT_ACTIONS.replay, targetType: 'webhook', targetId: delivery.endpoint.id, details: { deliveryId: id, eventId: delivery.event.id } });
    });
    await em.refresh(delivery);
  }
  return delivery;
}

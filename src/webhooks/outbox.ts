// The transactional outbox: an audit listener (audit/service.ts) that writes the webhook event and
// its deliveries with the EntityManager of the change, so they commit or roll back with it.
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/sql';
import type { AuditListener, RecordedAudit } from '../audit/service.ts';
import type { Services } from '../context.ts';
import { User } from '../accounts/entities.ts';
import { WebhookDelivery, WebhookEndpoint, WebhookEvent } from './entities.ts';
import { mayBecomeWebhookEvent, wants, webhookEventOf } from './events.ts';

/** `msg_` and 32 hex digits (a random UUID): unique across instances, stable across attempts. */
export const newMessageId = (): string => `msg_${randomUUID().replaceAll('-', '')}`;

/** The account an event is about, as receivers see it: no password hash, token or factor, ever. */
async function userFacts(em: EntityManager, event: RecordedAudit): Promise<Record<string, unknown>> {
  const user = await em.findOne(User, { id: event.targetId! });
  if (!user) return { id: event.targetId, email: typeof event.details?.email === 'string' ? event.details.email : null };
  return { id: user.id, email: user.email, emailConfirmed: user.emailConfirmedAt !== null, displayName: user.displayName ?? null, createdAt: user.createdAt.toISOString() };
}

export function webhookOutbox(services: Pick<Services, 'config'>): AuditListener {
  return { wants: mayBecomeWebhookEvent, onRecorded: (em, audit) => writeOutbox(services, em, audit) };
}

async function writeOutbox(services: Pick<Services, 'config'>, em: EntityManager, audit: RecordedAudit): Promise<void> {
  const mapped = webhookEventOf(audit);
  if (!mapped) return;
  const endpoints = (await em.find(WebhookEndpoint, { enabled: true })).filter((endpoint) => wants(endpoint.eventTypes, mapped.type));
  // Nobody listens: nothing to keep (an endpoint added later does not receive past events).
  if (!endpoints.length) return;
  const id = newMessageId();
  const payload = {
    type: mapped.type,
    timestamp: audit.at.toISOString(),
    data: { user: await userFacts(em, audit), ...mapped.data, actor: { type: audit.actorType, id: audit.actorId } },
  };
  await em.insert(WebhookEvent, { id, type: mapped.type, payload: JSON.stringify(payload), createdAt: audit.at });
  const retryUntil = new Date(audit.at.getTime() + services.config.webhooks.retryPeriodMs);
  await em.insertMany(
    WebhookDelivery,
    endpoints.map((endpoint) => ({ event: id, endpoint: endpoint.id, status: 'pending' as const, attempts: 0, nextAttemptAt: audit.at, retryUntil, createdAt: audit.at })),
  );
}

// Webhooks: the endpoints admins register, the outbox of events (written in the transaction of the
// change that causes them) and one delivery per event and subscribed endpoint, which the dispatcher
// attempts until it succeeds or its retry period ends.
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

export const WebhookEndpoint = defineEntity({
  name: 'WebhookEndpoint',
  tableName: 'webhook_endpoints',
  properties: {
    id: p.string().primary().length(36).onCreate(() => randomUUID()),
    url: p.string().length(2048),
    description: p.string().length(200).nullable(),
    /** Event type names (webhooks/events.ts); every event when it holds `*`. */
    eventTypes: p.json<string[]>(),
    enabled: p.boolean().default(true),
    /** The signing secret (`whsec_…`), sealed with SECRETS_KEY (util/secret-box.ts). */
    secret: p.text().hidden(),
    /** After a rotation, the old secret, which keeps signing beside the new one until `previousSecretUntil`. */
    previousSecret: p.text().nullable().hidden(),
    previousSecretUntil: p.datetime().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
export type WebhookEndpoint = InferEntity<typeof WebhookEndpoint>;

/** The outbox: one row per event, its payload fixed when the change commits. */
export const WebhookEvent = defineEntity({
  name: 'WebhookEvent',
  tableName: 'webhook_events',
  indexes: [{ properties: ['createdAt'] }],
  properties: {
    /** `msg_…`: sent as `webhook-id`, the same on every attempt and replay, so receivers can de-duplicate. */
    id: p.string().primary().length(40),
    type: p.string().length(64),
    /** The Standard Webhooks body `{ type, timestamp, data }`, as sent. */
    payload: p.text(),
    createdAt: p.datetime(),
  },
});
export type WebhookEvent = InferEntity<typeof WebhookEvent>;

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const WebhookDelivery = defineEntity({
  name: 'WebhookDelivery',
  tableName: 'webhook_deliveries',
  indexes: [{ properties: ['status', 'nextAttemptAt'] }, { properties: ['endpoint', 'id'] }],
  properties: {
    /** Increasing: newest-first pagination goes by id alone. */
    id: p.integer().primary().autoincrement(),
    event: () => p.manyToOne(WebhookEvent).deleteRule('cascade').index(),
    endpoint: () => p.manyToOne(WebhookEndpoint).deleteRule('cascade'),
    status: p.enum(DELIVERY_STATUSES),
    /** Attempts started (counted when an instance claims the delivery). */
    attempts: p.integer().default(0),
    nextAttemptAt: p.datetime(),
    /** While an instance attempts it: until when the claim holds (a crashed instance's claim runs out). */
    leaseUntil: p.datetime().nullable(),
    /** Retried until then (24 h after the event or the replay), then `failed`. */
    retryUntil: p.datetime(),
    lastAttemptAt: p.datetime().nullable(),
    lastResponseStatus: p.integer().nullable(),
    /** Why the last attempt failed (`timeout`, `HTTP 500`, `redirect refused`…), never a response body. */
    lastError: p.string().length(200).nullable(),
    createdAt: p.datetime(),
    deliveredAt: p.datetime().nullable(),
  },
});
export type WebhookDelivery = InferEntity<typeof WebhookDelivery>;

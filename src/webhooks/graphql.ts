// GraphQL for webhooks: endpoints, their deliveries and the event types. `webhooks:read` to look,
// `webhooks:write` plus a recent sign-in (step-up) to change; a signing secret is returned once, by
// the mutation that made it, and never readable afterwards.
import { builder } from '../schema/builder.ts';
import { ValidationFailedError } from '../errors.ts';
import { PERMISSIONS } from '../access/declarations.ts';
import { DELIVERY_STATUSES, type WebhookDelivery, type WebhookEndpoint } from './entities.ts';
import { WEBHOOK_EVENT_TYPES, ALL_EVENTS } from './events.ts';
import * as webhooks from './service.ts';

const READ = { permission: PERMISSIONS.webhooksRead };
const CHANGE = { $all: { permission: PERMISSIONS.webhooksWrite, recentSignIn: true } } as const;

const EventTypeRef = builder.objectRef<{ name: string; description: string }>('WebhookEventType').implement({
  description: 'An event an endpoint can subscribe to.',
  authScopes: READ,
  fields: (t) => ({
    name: t.exposeString('name', { description: 'e.g. `user.created`; the payload\'s `type`.' }),
    description: t.exposeString('description'),
  }),
});

const WebhookEndpointRef = builder.objectRef<WebhookEndpoint>('WebhookEndpoint').implement({
  description: 'Where events are sent, signed (Standard Webhooks) with a secret only its creator saw.',
  authScopes: READ,
  fields: (t) => ({
    id: t.exposeID('id'),
    url: t.exposeString('url'),
    description: t.exposeString('description', { nullable: true }),
    eventTypes: t.exposeStringList('eventTypes', { description: `The event types it receives; \`${ALL_EVENTS}\` for all.` }),
    enabled: t.exposeBoolean('enabled', { description: 'A disabled endpoint is sent nothing, and no deliveries are queued for it meanwhile.' }),
    previousSecretUntil: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'After rotateWebhookSecret: until when the previous secret still signs beside the new one.',
      resolve: (endpoint, _args, ctx) => (endpoint.previousSecretUntil && endpoint.previousSecretUntil > ctx.services.clock.now() ? endpoint.previousSecretUntil : null),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const WithSecretRef = builder.objectRef<webhooks.EndpointWithSecret>('WebhookEndpointWithSecret').implement({
  description: 'An endpoint and its new signing secret, shown this once (only a sealed copy is kept).',
  authScopes: READ,
  fields: (t) => ({
    endpoint: t.field({ type: WebhookEndpointRef, resolve: (result) => result.endpoint }),
    secret: t.exposeString('secret', { description: '`whsec_…`: give it to the receiver\'s Standard Webhooks library as is.' }),
  }),
});

const DeletedEndpointRef = builder.objectRef<{ id: string; url: string }>('DeletedWebhookEndpoint').implement({
  description: 'The endpoint was deleted with its deliveries.',
  authScopes: READ,
  fields: (t) => ({ id: t.exposeID('id'), url: t.exposeString('url') }),
});

const DeliveryStatusEnum = builder.enumType('WebhookDeliveryStatus', {
  values: {
    PENDING: { value: 'pending', description: 'Not delivered yet: due at `nextAttemptAt` (or being attempted).' },
    SUCCEEDED: { value: 'succeeded', description: 'The endpoint answered 2xx.' },
    FAILED: { value: 'failed', description: 'Retried for the whole retry period (WEBHOOK_RETRY_PERIOD) without success; replayWebhookDelivery sends it again.' },
  } as const,
});
DELIVERY_STATUSES satisfies readonly (typeof DeliveryStatusEnum.$inferType)[];

const WebhookDeliveryRef = builder.objectRef<WebhookDelivery>('WebhookDelivery').implement({
  description: 'One event sent (or to be sent) to one endpoint.',
  authScopes: READ,
  fields: (t) => ({
    id: t.id({ resolve: (delivery) => String(delivery.id) }),
    eventId: t.id({ description: 'The `webhook-id` header: the same on every attempt and replay.', resolve: (delivery) => delivery.event.id }),
    eventType: t.string({ resolve: (delivery) => delivery.event.type }),
    payload: t.string({ description: 'The JSON body sent (non-secret facts only).', resolve: (delivery) => delivery.event.payload }),
    status: t.field({ type: DeliveryStatusEnum, resolve: (delivery) => delivery.status }),
    attempts: t.exposeInt('attempts'),
    nextAttemptAt: t.field({ type: 'DateTime', nullable: true, resolve: (delivery) => (delivery.status === 'pending' ? delivery.nextAttemptAt : null) }),
    lastAttemptAt: t.expose('lastAttemptAt', { type: 'DateTime', nullable: true }),
    lastResponseStatus: t.exposeInt('lastResponseStatus', { nullable: true, description: 'The HTTP status of the last answer, if one came.' }),
    lastError: t.exposeString('lastError', { nullable: true, description: 'Why the last attempt failed, e.g. `timeout`, `HTTP 500`, `redirect refused`.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true }),
  }),
});

const DeliveryConnection = builder.connectionObject({ type: WebhookDeliveryRef, name: 'WebhookDeliveryConnection' }, { name: 'WebhookDeliveryEdge' });

builder.queryFields((t) => ({
  webhookEventTypes: t.field({
    type: [EventTypeRef],
    authScopes: READ,
    description: 'Every event type an endpoint can subscribe to.',
    resolve: () => Object.entries(WEBHOOK_EVENT_TYPES).map(([name, description]) => ({ name, description })),
  }),
  webhookEndpoints: t.field({
    type: [WebhookEndpointRef],
    authScopes: READ,
    description: 'Every webhook endpoint, oldest first.',
    resolve: (_root, _args, ctx) => webhooks.listEndpoints(ctx.em),
  }),
  webhookDeliveries: t.field({
    type: DeliveryConnection,
    authScopes: READ,
    description:
      `An endpoint's deliveries, newest first. \`first\` defaults to ${webhooks.DELIVERY_PAGE_DEFAULT} and is capped at ${webhooks.DELIVERY_PAGE_MAX}; ` +
      'pass the last `endCursor` as `after` for the next page. NOT_FOUND for an unknown endpoint, BAD_USER_INPUT for an invalid cursor.',
    args: { endpointId: t.arg.id({ required: true }), first: t.arg.int({ required: false }), after: t.arg.string({ required: false }) },
    resolve: async (_root, { endpointId, ...args }, ctx) => {
      const page = await webhooks.listDeliveries(ctx.em, String(endpointId), args);
      const edges = page.deliveries.map((node) => ({ cursor: webhooks.deliveryCursor(node), node }));
      return { edges, pageInfo: { hasNextPage: page.hasNextPage, hasPreviousPage: false, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null } };
    },
  }),
}));

const URL_HELP = 'https:// (http:// only to this machine outside production). Private and loopback addresses are refused in production.';
const EVENT_TYPES_HELP = `Event type names (webhookEventTypes), or \`${ALL_EVENTS}\` for every one.`;

builder.mutationFields((t) => {
  const optional = () => ({
    description: t.input.string({ required: false, description: `What it is for, at most ${webhooks.DESCRIPTION_MAX} characters; null or "" clears it.` }),
    enabled: t.input.boolean({ required: false, description: 'Default true.' }),
  });
  return {
  createWebhookEndpoint: t.fieldWithInput({
    type: WithSecretRef,
    nullable: true,
    authScopes: CHANGE,
    description: 'Adds an endpoint with a new signing secret, returned this once. Audited as `webhook.create`.',
    errors: { types: [ValidationFailedError] },
    input: { url: t.input.string({ required: true, description: URL_HELP }), eventTypes: t.input.stringList({ required: true, description: EVENT_TYPES_HELP }), ...optional() },
    resolve: (_root, { input }, ctx) => webhooks.createEndpoint(ctx, input),
  }),
  updateWebhookEndpoint: t.fieldWithInput({
    type: WebhookEndpointRef,
    nullable: true,
    authScopes: CHANGE,
    description: 'Changes what is given (URL, event types, description, enabled). Audited as `webhook.update`. NOT_FOUND for an unknown id.',
    errors: { types: [ValidationFailedError] },
    input: {
      id: t.input.id({ required: true }),
      url: t.input.string({ required: false, description: URL_HELP }),
      eventTypes: t.input.stringList({ required: false, description: EVENT_TYPES_HELP }),
      ...optional(),
    },
    resolve: (_root, { input: { id, ...changes } }, ctx) => webhooks.updateEndpoint(ctx, String(id), changes),
  }),
  rotateWebhookSecret: t.fieldWithInput({
    type: WithSecretRef,
    nullable: true,
    authScopes: CHANGE,
    description:
      'A new signing secret, returned this once. The old one keeps signing beside it (two signatures in `webhook-signature`) for ' +
      `\`overlapHours\` (default ${webhooks.DEFAULT_OVERLAP_HOURS}, at most ${webhooks.OVERLAP_HOURS_MAX}; 0 stops it at once), so receivers can switch without losing events. Audited.`,
    errors: { types: [ValidationFailedError] },
    input: { id: t.input.id({ required: true }), overlapHours: t.input.int({ required: false }) },
    resolve: (_root, { input: { id, overlapHours } }, ctx) => webhooks.rotateSecret(ctx, String(id), overlapHours ?? undefined),
  }),
  deleteWebhookEndpoint: t.fieldWithInput({
    type: DeletedEndpointRef,
    nullable: true,
    authScopes: CHANGE,
    description: 'Deletes an endpoint and its deliveries. Audited as `webhook.delete`. NOT_FOUND for an unknown id.',
    errors: { types: [] },
    input: { id: t.input.id({ required: true }) },
    resolve: (_root, { input: { id } }, ctx) => webhooks.deleteEndpoint(ctx, String(id)),
  }),
  replayWebhookDelivery: t.fieldWithInput({
    type: WebhookDeliveryRef,
    nullable: true,
    authScopes: CHANGE,
    description:
      'Sends a delivery again now, with the same `webhook-id`, and retries it for a new retry period. One being attempted right now is returned as it is. ' +
      'Audited as `webhook.replay`. NOT_FOUND for an unknown id.',
    errors: { types: [] },
    input: { id: t.input.id({ required: true }) },
    resolve: (_root, { input: { id } }, ctx) => {
      const number = /^[1-9]\d{0,14}$/.test(String(id)) ? Number(id) : 0;
      return webhooks.replayDelivery(ctx, number);
    },
  }),
  };
});

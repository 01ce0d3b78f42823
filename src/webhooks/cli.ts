// `gatehouse webhook …`: webhook endpoints for operators, through the same services as GraphQL
// (audited with the command line as actor). A running server delivers what the outbox holds.
import { UsageError, type CliIO } from '../cli/io.ts';
import { parseCommandArgs, type CliCommand } from '../cli/command.ts';
import type { WebhookDelivery, WebhookEndpoint } from './entities.ts';
import * as webhooks from './service.ts';

export const WEBHOOK_USAGE = `  webhook list [--json]                             the endpoints, their event types and state
  webhook add <url> --events <type,…> [--description <text>] [--disabled]
                                                    add an endpoint; prints its signing secret once
  webhook remove <id>                               delete an endpoint and its deliveries
  webhook rotate <id> [--overlap-hours <n>]         a new signing secret (printed once); the old one
                                                    keeps signing for n hours (default 24)
  webhook deliveries <id> [--first <n>] [--json]    an endpoint's deliveries, newest first
  webhook replay <delivery id>                      send a delivery again (same webhook-id)`;

const endpointJson = (e: WebhookEndpoint) => ({ id: e.id, url: e.url, description: e.description, eventTypes: e.eventTypes, enabled: e.enabled, createdAt: e.createdAt, updatedAt: e.updatedAt });

const deliveryJson = (d: WebhookDelivery) => ({
  id: d.id,
  eventId: d.event.id,
  eventType: d.event.type,
  status: d.status,
  attempts: d.attempts,
  lastResponseStatus: d.lastResponseStatus,
  lastError: d.lastError,
  lastAttemptAt: d.lastAttemptAt,
  nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt : null,
  createdAt: d.createdAt,
});

function wholeNumber(text: string | undefined, option: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d{1,9}$/.test(text)) throw new UsageError(`${option} must be a whole number, got "${text}".`);
  return Number(text);
}

function printSecret(io: CliIO, endpoint: WebhookEndpoint, secret: string): void {
  io.stdout.write(`Endpoint ${endpoint.id} → ${endpoint.url}\n`);
  io.stdout.write(`Signing secret (shown once, give it to the receiver): ${secret}\n`);
}

export async function webhookCommand({ io, args, asOperator }: CliCommand): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'list': {
      const { values } = parseCommandArgs(rest, { json: { type: 'boolean' } }, 0);
      const endpoints = await asOperator((scope) => webhooks.listEndpoints(scope.em));
      if (values.json) io.stdout.write(JSON.stringify(endpoints.map(endpointJson), null, 2) + '\n');
      else if (!endpoints.length) io.stdout.write('No webhook endpoints.\n');
      else for (const e of endpoints) io.stdout.write(`${e.id}  ${e.enabled ? 'enabled ' : 'disabled'}  ${e.url}  ${e.eventTypes.join(',')}\n`);
      return 0;
    }
    case 'add': {
      const { values, positionals } = parseCommandArgs(rest, { events: { type: 'string' }, description: { type: 'string' }, disabled: { type: 'boolean' } }, 1);
      if (values.events === undefined) throw new UsageError('webhook add needs --events (e.g. --events user.created,user.deleted or --events "*").');
      const input = { url: positionals[0]!, eventTypes: values.events.split(','), description: values.description ?? null, enabled: !values.disabled };
      const { endpoint, secret } = await asOperator((scope) => webhooks.createEndpoint(scope, input));
      printSecret(io, endpoint, secret);
      return 0;
    }
    case 'remove': {
      const { positionals } = parseCommandArgs(rest, {}, 1);
      const removed = await asOperator((scope) => webhooks.deleteEndpoint(scope, positionals[0]!));
      io.stdout.write(`Deleted endpoint ${removed.id} (${removed.url}).\n`);
      return 0;
    }
    case 'rotate': {
      const { values, positionals } = parseCommandArgs(rest, { 'overlap-hours': { type: 'string' } }, 1);
      const hours = wholeNumber(values['overlap-hours'], '--overlap-hours', webhooks.DEFAULT_OVERLAP_HOURS);
      const { endpoint, secret } = await asOperator((scope) => webhooks.rotateSecret(scope, positionals[0]!, hours));
      printSecret(io, endpoint, secret);
      io.stdout.write(hours > 0 ? `The previous secret keeps signing until ${endpoint.previousSecretUntil!.toISOString()}.\n` : 'The previous secret no longer signs.\n');
      return 0;
    }
    case 'deliveries': {
      const { values, positionals } = parseCommandArgs(rest, { first: { type: 'string' }, json: { type: 'boolean' } }, 1);
      const first = wholeNumber(values.first, '--first', webhooks.DELIVERY_PAGE_DEFAULT);
      const page = await asOperator((scope) => webhooks.listDeliveries(scope.em, positionals[0]!, { first }));
      const rows = page.deliveries.map(deliveryJson);
      if (values.json) io.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      else if (!rows.length) io.stdout.write('No deliveries.\n');
      else for (const d of rows) io.stdout.write(`${d.id}  ${d.status.padEnd(9)}  ${d.eventType}  attempts ${d.attempts}  ${d.lastResponseStatus ?? '-'}  ${d.lastError ?? ''}\n`);
      return 0;
    }
    case 'replay': {
      const { positionals } = parseCommandArgs(rest, {}, 1);
      const id = positionals[0]!;
      if (!/^[1-9]\d{0,14}$/.test(id)) throw new UsageError(`A delivery id is a number, got "${id}".`);
      const delivery = await asOperator((scope) => webhooks.replayDelivery(scope, Number(id)));
      io.stdout.write(`Delivery ${delivery.id} (${delivery.event.id}) is due again; a running server sends it.\n`);
      return 0;
    }
    default:
      throw new UsageError(sub ? `Unknown webhook command "${sub}".` : 'Missing webhook command.');
  }
}

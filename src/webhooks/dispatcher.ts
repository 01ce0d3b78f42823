// Delivers the outbox: a loop started by the server claims due deliveries (a lease in the row;
// on PostgreSQL `FOR UPDATE SKIP LOCKED`, so several instances never attempt one delivery at once),
// sends each with a timeout, and records the outcome: succeeded, or retried with exponential backoff
// and jitter until its retry period ends, then failed. Attempts run beside each other, a few per
// endpoint at most, so a slow endpoint holds up neither requests nor other endpoints.
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/sql';
import { Webhook } from 'standardwebhooks';
import type { Services } from '../context.ts';
import { systemClock } from '../util/clock.ts';
import { WebhookDelivery, WebhookEndpoint } from './entities.ts';
import { createWebhookTransport, type AttemptOutcome, type WebhookTransport } from './transport.ts';
import { webhookMetrics } from './metrics.ts';

const FIRST_RETRY_MS = 5_000;
const MAX_RETRY_DELAY_MS = 3_600_000;

/** The wait before attempt `attempts + 1`: doubling from 5 s up to an hour, half of it random (jitter). */
export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1), MAX_RETRY_DELAY_MS);
  return Math.round(base / 2 + random() * (base / 2));
}

/** The secrets an endpoint signs with now: its secret, and the previous one during a rotation's overlap. */
export function signingSecrets(services: Pick<Services, 'secrets'>, endpoint: WebhookEndpoint, now: Date): string[] {
  const secrets = [services.secrets.open(endpoint.secret)];
  if (endpoint.previousSecret && endpoint.previousSecretUntil && endpoint.previousSecretUntil > now) secrets.push(services.secrets.open(endpoint.previousSecret));
  return secrets;
}

/** Standard Webhooks headers; several signatures are space-separated (the receiver accepts any). */
export function webhookHeaders(secrets: string[], messageId: string, sentAt: Date, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'Gatehouse-Webhooks/1',
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(messageId, sentAt, body)).join(' '),
  };
}

interface Claimed {
  id: number;
  endpointId: string;
  lease: Date;
}

export interface WebhookDispatcher {
  /** Looks for due deliveries now (the timer does it every WEBHOOK_POLL_INTERVAL). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

export function startWebhookDispatcher(services: Services, transport: WebhookTransport = createWebhookTransport({ refusePrivateAddresses: services.config.env === 'production' })): WebhookDispatcher {
  const { config, clock, logger } = services;
  const settings = config.webhooks;
  const metrics = webhookMetrics(services);
  const inFlight = new Map<number, { endpointId: string; done: Promise<void>; abort: AbortController }>();
  let ticking: Promise<void> | null = null;
  let stopped = false;

  /** Claims, per enabled endpoint, as many due deliveries as it and this instance may have in flight. */
  async function claim(): Promise<Claimed[]> {
    const room = settings.concurrency - inFlight.size;
    if (room <= 0) return [];
    const now = clock.now();
    // Long enough for an attempt and its record; a crashed instance's claims run out after it.
    const lease = new Date(now.getTime() + settings.timeoutMs * 2 + 5_000);
    const busy = new Map<string, number>();
    for (const { endpointId } of inFlight.values()) busy.set(endpointId, (busy.get(endpointId) ?? 0) + 1);
    return services.orm.em.fork().transactional(async (tx) => {
      const endpoints = await tx.find(WebhookEndpoint, { enabled: true }, { fields: ['id'] });
      const claimed: Claimed[] = [];
      for (const { id: endpointId } of endpoints) {
        const limit = Math.min(settings.endpointConcurrency - (busy.get(endpointId) ?? 0), room - claimed.length);
        if (limit <= 0) continue;
        const due = await tx.find(
          WebhookDelivery,
          {
            endpoint: endpointId,
            status: 'pending',
            nextAttemptAt: { $lte: now },
            $or: [{ leaseUntil: null }, { leaseUntil: { $lte: now } }],
            ...(inFlight.size ? { id: { $nin: [...inFlight.keys()] } } : {}),
          },
          { orderBy: { nextAttemptAt: 'asc', id: 'asc' }, limit, ...lockUnlessSqlite(services) },
        );
        for (const delivery of due) {
          delivery.leaseUntil = lease;
          delivery.attempts += 1;
          delivery.lastAttemptAt = now;
          claimed.push({ id: delivery.id, endpointId, lease });
        }
      }
      return claimed;
    });
  }

  async function attempt(claimed: Claimed, signal: AbortSignal): Promise<void> {
    const em = services.orm.em.fork();
    const delivery = await em.findOne(WebhookDelivery, { id: claimed.id }, { populate: ['event', 'endpoint'] });
    if (!delivery) return;
    const { event, endpoint } = delivery;
    let secrets: string[];
    try {
      secrets = signingSecrets(services, endpoint, clock.now());
    } catch {
      // Sealed under another SECRETS_KEY: a failed attempt like any other (retried, then failed), not a stuck claim.
      const status = await record(em, delivery, claimed.lease, { ok: false, status: null, error: 'signing secret unreadable: was SECRETS_KEY changed?' });
      metrics.attempts.inc({ outcome: status === 'failed' ? 'failed' : 'retrying' });
      return;
    }
    // The receiver checks the timestamp against its own clock: the real time, whatever services.clock says.
    const headers = webhookHeaders(secrets, event.id, systemClock.now(), event.payload);
    const started = performance.now();
    const outcome = await transport.post(endpoint.url, headers, event.payload, settings.timeoutMs, signal);
    const seconds = (performance.now() - started) / 1000;
    if (signal.aborted && !outcome.ok) {
      // Shutting down: give the claim back untouched (it is due again at once, here or elsewhere).
      await em.nativeUpdate(WebhookDelivery, { id: claimed.id, leaseUntil: claimed.lease }, { leaseUntil: null });
      return;
    }
    const status = await record(em, delivery, claimed.lease, outcome);
    const label = status === 'succeeded' ? 'succeeded' : status === 'failed' ? 'failed' : 'retrying';
    metrics.attempts.inc({ outcome: label });
    metrics.durations.observe({ outcome: label }, seconds);
  }

  /** Stores the attempt's outcome; answers the delivery's status after it. */
  async function record(em: EntityManager, delivery: WebhookDelivery, lease: Date, outcome: AttemptOutcome): Promise<'succeeded' | 'failed' | 'pending'> {
    const now = clock.now();
    const common = { leaseUntil: null, lastResponseStatus: outcome.status };
    const changes = outcome.ok
      ? { ...common, status: 'succeeded' as const, lastError: null, deliveredAt: now }
      : now >= delivery.retryUntil
        ? { ...common, status: 'failed' as const, lastError: outcome.error }
        : { ...common, status: 'pending' as const, lastError: outcome.error, nextAttemptAt: new Date(now.getTime() + retryDelayMs(delivery.attempts)) };
    // Only while the claim is ours: an instance that lost it (lease run out) does not overwrite.
    await em.nativeUpdate(WebhookDelivery, { id: delivery.id, leaseUntil: lease }, changes);
    if (!outcome.ok) logger.warn({ deliveryId: delivery.id, endpointId: delivery.endpoint.id, attempts: delivery.attempts, error: outcome.error, final: changes.status === 'failed' }, 'webhook delivery failed');
    return changes.status;
  }

  function launch(claimed: Claimed): void {
    const abort = new AbortController();
    const done = attempt(claimed, abort.signal)
      .catch((error: unknown) => logger.error({ err: error, deliveryId: claimed.id }, 'webhook attempt failed'))
      .finally(() => inFlight.delete(claimed.id));
    inFlight.set(claimed.id, { endpointId: claimed.endpointId, done, abort });
  }

  async function runTick(): Promise<void> {
    try {
      for (const claimed of await claim()) launch(claimed);
    } catch (error) {
      logger.error({ err: error }, 'claiming webhook deliveries failed');
    }
  }

  const tick = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    ticking ??= services.database.gate.run(runTick).finally(() => (ticking = null));
    return ticking;
  };
  const timer = setInterval(() => void tick(), settings.pollIntervalMs);
  timer.unref();

  return {
    tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await ticking;
      for (const { abort } of inFlight.values()) abort.abort();
      await Promise.all([...inFlight.values()].map(({ done }) => done));
      await transport.close();
    },
  };
}

/** On PostgreSQL the claimed rows are locked, and rows another instance is claiming are skipped. */
function lockUnlessSqlite(services: Pick<Services, 'config'>): { lockMode?: LockMode.PESSIMISTIC_PARTIAL_WRITE } {
  return services.config.databaseDialect === 'postgresql' ? { lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE } : {};
}

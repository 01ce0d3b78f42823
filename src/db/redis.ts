// Redis (REDIS_URL): what several instances share besides the database — live events between
// instances (src/realtime/pubsub.ts) and throttling counters (src/auth/throttle.ts). Every key
// and channel starts with REDIS_KEY_PREFIX.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export type { Redis };

export interface RedisSettings {
  url: string;
  keyPrefix: string;
}

const CONNECT_TIMEOUT_MS = 5000;

/**
 * Connects and checks the server answers; a start fails with a clear message rather than
 * serving with throttling or events silently missing. Later outages are retried by ioredis
 * (commands wait up to a few retries, then fail: a throttled endpoint then answers an error).
 */
export async function openRedis(settings: RedisSettings, logger: Logger, role: string): Promise<Redis> {
  // Imported here: a single instance (no REDIS_URL) never loads the client (about 1 MiB).
  const { Redis } = await import('ioredis');
  const client = new Redis(settings.url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 2,
    connectionName: `gatehouse-${role}`,
  });
  let lastError: unknown = null;
  client.on('error', (error: unknown) => {
    // ioredis reconnects by itself; log each distinct failure once rather than on every retry.
    const message = error instanceof Error ? error.message : String(error);
    if (message !== (lastError instanceof Error ? lastError.message : String(lastError))) logger.warn({ err: error, role }, 'redis connection problem');
    lastError = error;
  });
  client.on('ready', () => (lastError = null));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw new Error(`REDIS_URL: cannot reach Redis at ${redactUrl(settings.url)} (${error instanceof Error ? error.message : String(error)})`);
  }
  return client;
}

/** Closes after the commands already sent are answered (a CLI's last publish still goes out). */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  try {
    await client.quit();
  } catch {
    // Already disconnected: nothing is left to flush.
    client.disconnect();
  }
}

/** Both connections are up and the server answers. */
export async function isRedisReady({ client, subscriber }: { client: Redis; subscriber: Redis }): Promise<boolean> {
  if (client.status !== 'ready' || subscriber.status !== 'ready') return false;
  try {
    return (await client.ping()) === 'PONG';
  } catch {
    // Readiness answers with its status code; the error is logged by the client's error handler.
    return false;
  }
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

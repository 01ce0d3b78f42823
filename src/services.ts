// Opens the long-lived parts Gatehouse runs on (database, mail, throttling, validators…) from a
// Config. The server and the command line both start here, so they share one database setup.
import { BreachChecker, type LookupBudget } from './validation/breach.ts';
import { MemoryThrottleStore } from './auth/throttle-memory.ts';
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type { Config } from './config/index.ts';
import type { Services } from './context.ts';
import { systemClock, type Clock } from './util/clock.ts';
import { loadSecretsKey, SecretBox } from './util/secret-box.ts';
import { BackgroundTasks } from './util/background.ts';
import { openDatabase } from './db/orm.ts';
import { entities } from './entities.ts';
import { createMailer } from './mail/mailer.ts';
import { createAuthThrottle } from './auth/throttle.ts';
import { createMetrics } from './observability/metrics.ts';
import { createValidatorRegistry } from './validation/rules.ts';
import type { Validator } from './validation/registry.ts';
import { syncAccessDeclarations } from './access/sync.ts';
import type { AccessDeclarations } from './access/declarations.ts';
import { organizationRoleCatalog, type OrganizationAccessDeclarations } from './organizations/declarations.ts';
import { ACTIVE_ORGANIZATION_JOIN, assertOwnsNoOrganization } from './organizations/service.ts';
import { loadOrganizationRoles } from './organizations/roles.ts';
import { SetupGate } from './admin/setup.ts';
import { createInProcessPubSub, createRedisPubSub, type PubSub } from './realtime/pubsub.ts';
import { closeRedis, openRedis, type Redis } from './db/redis.ts';
import { withDatabaseLock } from './db/locks.ts';
import { MaintenanceCache } from './maintenance/service.ts';
import { DatabaseRuntime } from './database/runtime.ts';
import { userSessions } from './sessions/service.ts';
import { createOAuthProviders } from './oauth/providers/index.ts';
import type { OAuthEndpointOverrides } from './config/oauth-providers.ts';
import { webhookOutbox } from './webhooks/outbox.ts';

export interface ServiceOptions {
  clock?: Clock;
  logger?: Logger;
  /** Extra validators for the registry (custom rules). */
  validators?: Validator[];
  /** Permissions and roles declared in code, synced into the database at start. */
  access?: AccessDeclarations;
  /** Organization roles and permissions declared in code (beside `owner`, `admin`, `member`). */
  organizations?: OrganizationAccessDeclarations;
  /** Where OAuth providers' endpoints are (tests point them at local stand-in servers). */
  oauthEndpoints?: OAuthEndpointOverrides;
}

export function createLogger(config: Config, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level: config.logLevel,
    base: { service: 'gatehouse' },
    redact: { paths: ['*.password', '*.token', '*.authorization', '*.cookie', 'req.headers.authorization', 'req.headers.cookie'], remove: true },
  };
  if (destination) return pino(options, destination);
  const pretty = config.logFormat === 'pretty' || (config.logFormat === 'auto' && process.stdout.isTTY === true && config.env !== 'production');
  return pretty ? pino(options, prettyStream()) : pino(options);
}

/**
 * pino-pretty as a synchronous stream on stdout (no worker thread), loaded only when used: an
 * operator at a terminal reads `INFO: listening` and copies the setup token or a confirmation link
 * from the log mailer's lines, rather than parsing JSON.
 */
/**
 * Breach lookups per client address (cache misses): the throttle's token bucket, in this process
 * (what it limits is this instance's requests to the service).
 */
function breachLookupBudget(perMinute: number): LookupBudget {
  const store = new MemoryThrottleStore({ authRequestsPerMinute: perMinute, failuresBeforeDelay: 1, maxDelayMs: 0, maxFailuresPerHour: 1 });
  return (ip, now) => store.spendIpBudget(ip, now);
}

function prettyStream(): NodeJS.WritableStream {
  const require = createRequire(import.meta.url);
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  return pretty({ colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service', sync: true, destination: 1 });
}

/** Redis connections: commands (and publishing), and one in subscriber mode for events. */
async function openSharedBackends(config: Config, logger: Logger): Promise<{ redis: Services['redis']; pubsub: PubSub }> {
  if (!config.redis) return { redis: null, pubsub: createInProcessPubSub() };
  const client = await openRedis(config.redis, logger, 'commands');
  let subscriber: Redis | null = null;
  try {
    subscriber = await openRedis(config.redis, logger, 'events');
    const pubsub = await createRedisPubSub({ publisher: client, subscriber, keyPrefix: config.redis.keyPrefix, logger });
    await pubsub.ready();
    return { redis: { client, subscriber }, pubsub };
  } catch (error) {
    await closeSharedBackends({ client, subscriber });
    throw error;
  }
}

/** After the commands already sent are answered (a command line's last publish still goes out). */
async function closeSharedBackends(redis: { client: Redis; subscriber: Redis | null } | null): Promise<void> {
  if (!redis) return;
  await Promise.all([closeRedis(redis.client), redis.subscriber && closeRedis(redis.subscriber)]);
}

/**
 * Opens everything. `atStart` runs once the services are ready, under the same lock as the
 * migrations: instances starting together on one PostgreSQL database take turns.
 */
export async function openServices(config: Config, options: ServiceOptions = {}, atStart?: (services: Services) => Promise<void>): Promise<Services> {
  const logger = options.logger ?? createLogger(config);
  const clock = options.clock ?? systemClock;
  const { redis, pubsub } = await openSharedBackends(config, logger);
  let services: Services | null = null;
  try {
    return await withDatabaseLock(config.databasePath, 'start', async () => {
      const orm = await openDatabase(config.databasePath, entities, { poolSize: config.databasePoolSize });
      services = assemble(config, options, { logger, clock, orm, redis, pubsub });
      await syncAccessDeclarations(orm.em.fork(), clock, options.access);
      await services.maintenance.reload(orm.em.fork());
      await loadOrganizationRoles(orm.em.fork(), services.organizationRoles);
      await atStart?.(services);
      return services;
    });
  } catch (error) {
    // A start that fails (no database, a weak ADMIN_PASSWORD…) leaves nothing open.
    if (services) await closeServices(services);
    else await closeSharedBackends(redis);
    throw error;
  }
}

function assemble(
  config: Config,
  options: ServiceOptions,
  { logger, clock, orm, redis, pubsub }: Pick<Services, 'logger' | 'clock' | 'orm' | 'redis' | 'pubsub'>,
): Services {
  // Before the throttle: its Redis keys are named by a keyed hash under SECRETS_KEY.
  const secrets = new SecretBox(loadSecretsKey(config.secrets, logger));
  const metrics = createMetrics();
  const throttleRedis = redis && config.redis ? { client: redis.client, keyPrefix: config.redis.keyPrefix, secrets } : null;
  const services: Services = {
    config,
    clock,
    orm,
    logger,
    redis,
    mailer: createMailer(config, logger),
    metrics,
    throttle: createAuthThrottle(config.throttle, clock, throttleRedis, (limit) => metrics.recordThrottled(limit)),
    validators: createValidatorRegistry(options.validators),
    background: new BackgroundTasks(logger),
    setup: new SetupGate(config.setupToken, logger),
    breaches: new BreachChecker(config.passwordBreach, logger, breachLookupBudget(config.passwordBreach.lookupsPerMinute)),
    pubsub,
    maintenance: new MaintenanceCache(pubsub),
    oauth: createOAuthProviders(config.oauth.providers, options.oauthEndpoints),
    database: new DatabaseRuntime(config),
    userSessions,
    secrets,
    // Webhooks write their outbox rows in the transaction of each audited change.
    auditListeners: [webhookOutbox({ config })],
    organizationRoles: organizationRoleCatalog(options.organizations),
    accountDeletionGuards: [assertOwnsNoOrganization],
    // A session-authenticated request reads its active organization in the session's own statement.
    sessionLookupJoins: [ACTIVE_ORGANIZATION_JOIN],
  };
  return services;
}

/** Waits for background work (mail in flight), then closes mail and the database. */
export async function closeServices(services: Services): Promise<void> {
  await services.background.settle();
  services.mailer.close();
  await services.pubsub.close();
  await services.database.close();
  await services.orm.close();
  // Last: anything published while closing (e.g. the command line's revocations) still goes out.
  await closeSharedBackends(services.redis);
}

// Opens the long-lived parts Gatehouse runs on (database, mail, throttling, validators…) from a
// Config. The server and the command line both start here, so they share one database setup.
import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';
import type { Services } from './context.ts';
import { systemClock, type Clock } from './util/clock.ts';
import { BackgroundTasks } from './util/background.ts';
import { openDatabase } from './db/orm.ts';
import { createMailer } from './mail/mailer.ts';
import { AuthThrottle } from './auth/throttle.ts';
import { createValidatorRegistry } from './validation/rules.ts';
import type { Validator } from './validation/registry.ts';
import { syncAccessDeclarations } from './access/sync.ts';
import type { AccessDeclarations } from './access/declarations.ts';
import { SetupGate } from './admin/setup.ts';
import { createInProcessPubSub } from './realtime/pubsub.ts';
import { MaintenanceCache } from './maintenance/service.ts';
import { DatabaseRuntime } from './database/runtime.ts';
import { createOAuthProviders } from './oauth/providers/index.ts';
import type { OAuthEndpointOverrides } from './oauth/providers/catalogue.ts';

export interface ServiceOptions {
  clock?: Clock;
  logger?: Logger;
  /** Extra validators for the registry (custom rules). */
  validators?: Validator[];
  /** Permissions and roles declared in code, synced into the database at start. */
  access?: AccessDeclarations;
  /** Where OAuth providers' endpoints are (tests point them at local stand-in servers). */
  oauthEndpoints?: OAuthEndpointOverrides;
}

export function createLogger(config: Config, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level: config.logLevel,
    base: { service: 'gatehouse' },
    redact: { paths: ['*.password', '*.token', '*.authorization', '*.cookie', 'req.headers.authorization', 'req.headers.cookie'], remove: true },
  };
  return destination ? pino(options, destination) : pino(options);
}

export async function openServices(config: Config, options: ServiceOptions = {}): Promise<Services> {
  const logger = options.logger ?? createLogger(config);
  const clock = options.clock ?? systemClock;
  const orm = await openDatabase(config.databasePath);
  const pubsub = createInProcessPubSub();
  const services: Services = {
    config,
    clock,
    orm,
    logger,
    mailer: createMailer(config, logger),
    throttle: new AuthThrottle(config.throttle, clock),
    validators: createValidatorRegistry(options.validators),
    background: new BackgroundTasks(logger),
    setup: new SetupGate(config.setupToken, logger),
    pubsub,
    maintenance: new MaintenanceCache(pubsub),
    oauth: createOAuthProviders(config.oauth.providers, options.oauthEndpoints),
    database: new DatabaseRuntime(config),
  };
  try {
    await syncAccessDeclarations(orm.em.fork(), clock, options.access);
    await services.maintenance.reload(orm.em.fork());
  } catch (error) {
    await closeServices(services);
    throw error;
  }
  return services;
}

/** Waits for background work (mail in flight), then closes mail and the database. */
export async function closeServices(services: Services): Promise<void> {
  await services.background.settle();
  services.mailer.close();
  await services.pubsub.close();
  await services.database.close();
  await services.orm.close();
}

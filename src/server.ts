// Assembles Gatehouse from a Config: the services, the tasks that run beside requests, GraphQL
// (HTTP, SSE and WebSocket) and the HTTP server. No domain logic lives here.
import type { Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AddressInfo } from 'node:net';
import type { Config } from './config/index.ts';
import type { TrustedDocuments } from './config/trusted-documents.ts';
import type { Services } from './context.ts';
import { closeServices, openServices, type ServiceOptions } from './services.ts';
import { createGraphQLServer, type GatehouseYoga } from './graphql-server.ts';
import { createHttpServer } from './http-server.ts';
import { createAuthenticatorRegistry, type AuthenticatorOption } from './auth/registry.ts';
import { createContextBuilder } from './auth/request-context.ts';
import { liveCredentialsChecker, startSessionExpiry } from './auth/revalidate.ts';
import { clientIp } from './http/client-ip.ts';
import type { ServerContext } from './http/responses.ts';
import { prepareFirstRun } from './admin/setup.ts';
import { startAuditRetention } from './audit/retention.ts';
import { maintenanceFollower } from './maintenance/service.ts';
import { startDatabaseAdministration } from './database/server-tasks.ts';
import { startWebhookDispatcher } from './webhooks/dispatcher.ts';
import { startWebhookRetention } from './webhooks/retention.ts';
import { startLoginChallengePruning } from './mfa/challenges.ts';
import { createConnectionRegistry, type ConnectionRegistry } from './realtime/connections.ts';
import { watchOutsideChanges } from './realtime/outside-changes.ts';
import { organizationRolesFollower } from './organizations/roles.ts';
import { createSharedSubscriptions } from './realtime/shared-subscriptions.ts';
import { attachGraphQLWebSocket } from './realtime/websocket.ts';
import { CONSOLE_PATH, loadConsoleBuild, withConsoleDocuments } from './console/http.ts';
import { startObservability, type Observability } from './observability/setup.ts';

export interface GatehouseOptions extends ServiceOptions {
  /** Extra authenticators (e.g. LDAP), each at a position in the chain (default: after the built-ins). */
  authenticators?: AuthenticatorOption[];
  /** How long a WebSocket may stay open without `connection_init` before it is closed with 4408 (default 3 s). */
  wsConnectionInitTimeoutMs?: number;
}

export interface Gatehouse {
  config: Config;
  services: Services;
  http: Server;
  yoga: GatehouseYoga;
  /** Subscriptions executed once per event for their subscribers (src/realtime/shared-subscriptions.ts). */
  sharedSubscriptions: { readonly groups: number };
  /** Where the admin console is served ('/admin'), or null when it is off (CONSOLE=false) or not built. */
  consolePath: string | null;
  /** Starts listening; resolves with the GraphQL endpoint URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export async function createGatehouse(config: Config, options: GatehouseOptions = {}): Promise<Gatehouse> {
  // The first-run admin (ADMIN_EMAIL) is ensured under the start lock: instances starting together create it once.
  const services = await openServices(config, options, prepareFirstRun);
  if (config.redis && !config.secrets.key) {
    // Said by the server only (the command line would print it on every run).
    services.logger.warn(
      { keyFile: config.secrets.keyFile },
      'REDIS_URL is set but SECRETS_KEY is not: instances sharing this Redis count throttled attempts together only if they use the same key ' +
        '(set SECRETS_KEY, the same value on every instance).',
    );
  }
  // Live connections, ended when their credentials are revoked (sockets here, SSE by a plugin).
  const connections = createConnectionRegistry(services.pubsub);
  let tasks: { stop(): Promise<void> };
  // The admin console's built files, read once (CONSOLE=false: none); its documents join TRUSTED_DOCUMENTS.
  const consoleBuild = config.console ? loadConsoleBuild() : null;
  let trustedDocuments: TrustedDocuments | null;
  const wsContexts = new WeakSet<object>();
  let observability: Observability;
  try {
    trustedDocuments = withConsoleDocuments(config.trustedDocuments, consoleBuild, (message) => services.logger.warn(message));
    observability = await startObservability(services, { trustedDocuments, isWebSocket: (context) => wsContexts.has(context), liveConnections: () => connections.size });
    tasks = await startServerTasks(services, connections);
  } catch (error) {
    // A start that fails must not leave the database open.
    await closeServices(services);
    throw error;
  }
  const authenticators = createAuthenticatorRegistry(config, options.authenticators);
  const buildContext = createContextBuilder(services, authenticators);
  const sharedSubscriptions = createSharedSubscriptions();
  const requestIds = new AsyncLocalStorage<string>();
  const yoga = createGraphQLServer({
    services,
    buildContext,
    connections,
    wsContexts,
    sharedSubscriptions,
    requestIds,
    trustedDocuments,
    observabilityPlugins: observability.plugins,
  });
  const http = createHttpServer({ services, yoga, buildContext, requestIds, consoleBuild });
  const webSocket = attachGraphQLWebSocket({
    http,
    config,
    services,
    yoga,
    authenticators,
    connections,
    wsContexts,
    trustedDocuments,
    connectionInitWaitTimeoutMs: options.wsConnectionInitTimeoutMs ?? 3_000,
    serverContext: (upgrade) => ({ requestId: randomUUID(), ip: clientIp(upgrade, config.trustProxyHops), responseCookies: [] }) satisfies ServerContext,
  });

  return {
    config,
    services,
    http,
    yoga,
    sharedSubscriptions,
    consolePath: consoleBuild?.files ? CONSOLE_PATH : null,
    listen: () => listen(http, config),
    async close() {
      await tasks.stop();
      connections.close();
      await webSocket.close();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      await observability.close();
      await closeServices(services);
    },
  };
}

/** What runs beside requests: audit retention, following outside writes, scheduled backups, webhook delivery, pruning answered sign-in challenges. */
async function startServerTasks(services: Services, connections: ConnectionRegistry): Promise<{ stop(): Promise<void> }> {
  const auditRetention = await startAuditRetention(services);
  const stopped: Array<{ stop(): unknown }> = [auditRetention];
  try {
    const credentials = liveCredentialsChecker(services, connections);
    const organizationRoles = organizationRolesFollower(services);
    // Outside writes (the command line, another server) may change maintenance mode, the organization
    // roles made over the API, or end the credentials of live connections.
    const outsideChanges = await watchOutsideChanges(
      { orm: () => services.orm, logger: services.logger, config: services.config, gated: (poll) => services.database.gate.run(poll) },
      [maintenanceFollower(services), organizationRoles, credentials],
    );
    stopped.push(outsideChanges);
    // Sessions that reach their end (SESSION_TTL, SESSION_IDLE_TTL) end their live connections.
    stopped.push(startSessionExpiry(services, connections));
    stopped.push(startDatabaseAdministration(services));
    stopped.push(startWebhookDispatcher(services));
    stopped.push(await startWebhookRetention(services));
    stopped.push(await startLoginChallengePruning(services));
    // A restored database may lack sessions that live connections use: they end at once.
    services.database.onReplaced(async () => {
      await organizationRoles.run();
      await credentials.run();
    });
  } catch (error) {
    for (const task of stopped) await task.stop();
    throw error;
  }
  return {
    async stop() {
      for (const task of stopped) await task.stop();
    },
  };
}

function listen(http: Server, config: Config): Promise<string> {
  return new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => {
      const { port } = http.address() as AddressInfo;
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      const origin = `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`;
      if (!config.publicUrlConfigured) config.publicUrl = origin;
      resolve(`${origin}/graphql`);
    });
  });
}

// Assembles Gatehouse from a Config: database, services, GraphQL (HTTP + WebSocket) and the
// few plain HTTP routes. No domain logic lives here.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AddressInfo } from 'node:net';
import { createYoga, type GraphiQLOptions, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { sendNodeResponse } from '@whatwg-node/server';
import { GraphQLError } from 'graphql';
import type { Config } from './config.ts';
import type { Context, Services } from './context.ts';
import type { EntityManager } from '@mikro-orm/sql';
import { isDatabaseReady } from './db/orm.ts';
import { isRedisReady } from './db/redis.ts';
import { closeServices, openServices, type ServiceOptions } from './services.ts';
import { createAuthenticatorRegistry, type AuthenticatorOption } from './auth/registry.ts';
import { clearedSessionCookie } from './sessions/cookies.ts';
import { schema } from './schema/index.ts';
import { clientIp } from './http/client-ip.ts';
import { csrfPlugin } from './http/csrf.ts';
import { corsPlugin } from './http/cors.ts';
import { documentNestingPlugin, graphqlLimitsPlugin } from './http/limits.ts';
import { requestParsingPlugin } from './http/request-parsing.ts';
import { bodyRefusal, contentEncodingRefusal, encodingRefusal, hostRefusal, readBody, type Refusal } from './http/request-checks.ts';
import { createErrorMasker } from './http/errors.ts';
import { handleAccountPage } from './accounts/http.ts';
import { handleOAuthRoute } from './oauth/http.ts';
import { accessLoader } from './access/viewer-access.ts';
import { prepareFirstRun } from './admin/setup.ts';
import { startAuditRetention } from './admin/retention.ts';
import { maintenanceGatePlugin } from './maintenance/gate.ts';
import { startMaintenanceWatcher, type MaintenanceWatcher } from './maintenance/watcher.ts';
import { createConnectionRegistry, endRevokedSubscriptionsPlugin } from './realtime/connections.ts';
import { attachGraphQLWebSocket } from './realtime/websocket.ts';
import { createSharedSubscriptions } from './realtime/shared-subscriptions.ts';
import { revalidateLiveCredentials } from './realtime/revalidate.ts';
import { isMultipart, multipartParamsPlugin, removeFiles } from './http/multipart.ts';
import { handleDatabaseDownload, receiveUpload } from './database/http.ts';
import { startDatabaseAdministration, type DatabaseAdministration } from './database/server-tasks.ts';
import { DOWNLOAD_PATH } from './database/service.ts';

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
  yoga: YogaServerInstance<ServerContext, Context>;
  /** Subscriptions executed once per event for their subscribers (src/realtime/shared-subscriptions.ts). */
  sharedSubscriptions: { readonly groups: number };
  /** Starts listening; resolves with the GraphQL endpoint URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** What the HTTP layer hands yoga for each request. */
interface ServerContext {
  requestId: string;
  ip: string;
  responseCookies: string[];
  /** The parameters of a multipart request, already read (src/http/multipart.ts). */
  multipart?: Record<string, unknown>;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * GraphiQL's page, imported on its first request: the module is a 9 MB script that holds about
 * 40 MiB once loaded, and production (GRAPHIQL off) never needs it.
 */
async function renderGraphiQL(options: GraphiQLOptions): Promise<string> {
  const { renderGraphiQL: render } = await import('@graphql-yoga/render-graphiql');
  return render(options);
}

/** Where a context keeps the EntityManager its `em` getter forked. */
const FORKED = Symbol('gatehouse.requestEntityManager');

export async function createGatehouse(config: Config, options: GatehouseOptions = {}): Promise<Gatehouse> {
  // The first-run admin (ADMIN_EMAIL) is ensured under the start lock: instances starting together create it once.
  const services = await openServices(config, options, prepareFirstRun);
  // services.orm is read at each use: a restore swaps it (src/database/swap.ts).
  const { logger, database } = services;
  // Live connections, ended when their credentials are revoked (sockets here, SSE by the plugin).
  const connections = createConnectionRegistry(services.pubsub);
  let auditRetention: { stop(): void };
  let maintenanceWatcher: MaintenanceWatcher;
  let databaseAdministration: DatabaseAdministration;
  try {
    auditRetention = await startAuditRetention(services);
    // Outside writes (the command line, another server) may end credentials of live connections.
    maintenanceWatcher = await startMaintenanceWatcher(services, undefined, () =>
      revalidateLiveCredentials(services.orm.em.fork(), services.pubsub, connections.credentials()),
    );
    databaseAdministration = startDatabaseAdministration(services);
    // A restored database may lack sessions that live connections use: they end at once.
    database.onReplaced(() => revalidateLiveCredentials(services.orm.em.fork(), services.pubsub, connections.credentials()));
  } catch (error) {
    // A start that fails (e.g. a weak ADMIN_PASSWORD) must not leave the database open.
    await closeServices(services);
    throw error;
  }
  const authenticators = createAuthenticatorRegistry(config, options.authenticators);
  // Contexts of operations over graphql-ws: their socket is closed as a whole, not each subscription.
  const wsContexts = new WeakSet<object>();
  // Subscriptions whose events are executed once for every subscriber with the same access.
  const sharedSubscriptions = createSharedSubscriptions();

  /**
   * The request's EntityManager, forked on first use: an anonymous request that reads no data forks
   * none. One getter serves every context; the fork is kept on the context itself.
   */
  function requestEntityManager(this: { [FORKED]?: EntityManager }): EntityManager {
    return (this[FORKED] ??= services.orm.em.fork());
  }

  /** The context of one operation, built onto `target` (its `em` an enumerable getter, see above). */
  async function buildContext(request: Request, server: ServerContext, target: object = {}): Promise<Omit<Context, 'request'>> {
    const context = Object.defineProperties(target, {
      em: { get: requestEntityManager, enumerable: true, configurable: true },
      [FORKED]: { value: undefined, writable: true, enumerable: false, configurable: true },
    }) as Context;
    // Before authenticating: the authenticators read `services` and `em` from it.
    context.services = services;
    const outcome = await authenticators.authenticate({ headers: request.headers, ip: server.ip }, context);
    if (outcome.kind === 'invalid') throw authenticationFailure(config, outcome.message, outcome.retryAfter);
    // The basic backend has no anonymous requests: no credentials gets the browser's login dialog.
    if (outcome.kind === 'none' && config.authBackend === 'basic') throw authenticationFailure(config, 'Sign in with HTTP Basic.');
    if (outcome.kind === 'stale-cookie') server.responseCookies.push(clearedSessionCookie(config));
    const authenticated = outcome.kind === 'authenticated';
    const credential = authenticated ? outcome.credential : null;
    const restriction =
      credential?.kind === 'token' && credential.token.permissions
        ? { userId: credential.token.user.id, permissions: credential.token.permissions }
        : undefined;
    // Assigned, never spread: spreading would call the `em` getter.
    context.viewer = authenticated ? outcome.user : null;
    context.credential = credential;
    context.ip = server.ip;
    context.userAgent = request.headers.get('user-agent');
    context.requestId = server.requestId;
    context.responseCookies = server.responseCookies;
    context.loadAccess = accessLoader(() => context.em, restriction);
    return context;
  }

  const yoga = createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    batching: false,
    logging: false,
    // Built onto yoga's own context object: yoga merges a returned object with Object.assign,
    // which would call the lazy `em` getter. Returning nothing new leaves the getter in place.
    context: async (initial) => {
      await buildContext(initial.request, initial as unknown as ServerContext, initial);
      return {} as Context;
    },
    // corsPlugin below replaces yoga's CORS, which echoed a listed origin to unlisted ones.
    cors: false,
    // Off: handleGraphQL has already read the body, bounded by bodyRefusal (a Content-Length is
    // required, and Node delivers no byte past it). Yoga's check re-streamed every body through a
    // TransformStream, about 7% of the CPU of a small request.
    maxRequestBodySize: false,
    // Multipart bodies are streamed to disk by readMultipart (handleGraphQL); multipartParamsPlugin hands yoga the result.
    multipart: false,
    graphiql: config.graphiql ? { title: 'Gatehouse', defaultQuery: '{ viewer { id email } }' } : false,
    renderGraphiQL,
    maskedErrors: { maskError: createErrorMasker(logger, () => requestIds.getStore()) },
    plugins: [
      corsPlugin(config),
      csrfPlugin(config),
      multipartParamsPlugin(),
      requestParsingPlugin(),
      graphqlLimitsPlugin(config),
      // After graphqlLimitsPlugin: it wraps the parser armor installs.
      documentNestingPlugin(),
      // Runs on execute/subscribe (after the context exists), for HTTP, SSE and WebSocket alike.
      maintenanceGatePlugin(),
      endRevokedSubscriptionsPlugin(connections, wsContexts),
      responseCookiesPlugin(),
      // Last: subscribers join a shared execution only after every plugin above let them through.
      sharedSubscriptions.plugin,
    ],
  });

  // The request id of the HTTP request being handled, for log lines written far from it (the error masker).
  const requestIds = new AsyncLocalStorage<string>();
  const http = createServer((req, res) => {
    handleHttp(req, res).catch((error: unknown) => {
      logger.error({ err: error, requestId: res.getHeader('x-request-id') }, 'unhandled HTTP error');
      if (!res.headersSent) sendJson(res, 500, { error: 'Unexpected error.' });
      else res.destroy();
    });
  });
  http.requestTimeout = 30_000;
  http.headersTimeout = 15_000;

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const incomingId = req.headers['x-request-id'];
    const requestId = typeof incomingId === 'string' && REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
    res.setHeader('x-request-id', requestId);
    const started = performance.now();
    res.on('finish', () =>
      logger.info(
        { requestId, method: req.method, path: req.url?.split('?')[0], status: res.statusCode, ms: Math.round(performance.now() - started) },
        'request',
      ),
    );
    await requestIds.run(requestId, () => route(req, res, requestId));
  }

  async function route(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/health') return sendJson(res, 200, { status: 'ok' });
    if (path === '/graphql') return handleGraphQL(req, res, requestId);
    const ip = clientIp(req, config.trustProxyHops);
    if (path === DOWNLOAD_PATH) {
      const authenticate = (headers: Headers) => buildContext(new Request('http://localhost/', { headers }), { requestId, ip, responseCookies: [] });
      return handleDatabaseDownload(req, res, { services, authenticate, ip, requestId });
    }
    // Through the database gate: held while a restore swaps the database file.
    await database.gate.run(async () => {
      if (path === '/ready') {
        // Every configured backend: an instance that cannot reach Redis would miss events and share no counters.
        const [database, redis] = await Promise.all([isDatabaseReady(services.orm), services.redis ? isRedisReady(services.redis) : null]);
        const ready = database && redis !== false;
        return sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable', database, ...(redis === null ? {} : { redis }) });
      }
      if (await handleAccountPage(req, res, { services, ip, requestId })) return;
      if (await handleOAuthRoute(req, res, { services, ip, requestId })) return;
      sendJson(res, 404, { error: 'Not found.' });
    });
  }

  async function handleGraphQL(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const multipart = isMultipart(req);
    // Multipart bodies get their own limit (uploadBodyRefusal), so here only a well-formed length.
    const refusal = hostRefusal(req) ?? bodyRefusal(req, multipart ? Number.MAX_SAFE_INTEGER : config.maxBodyBytes) ?? contentEncodingRefusal(req);
    if (refusal) return sendRefusal(res, refusal);
    const server: ServerContext = { requestId, ip: clientIp(req, config.trustProxyHops), responseCookies: [] };
    const uploads: string[] = [];
    if (multipart) {
      const params = await receiveUpload(req, uploads, {
        config,
        services,
        scope: (headers) => buildContext(new Request('http://localhost/graphql', { headers }), server),
        refuse: (refusal) => sendRefusal(res, refusal),
      });
      if (params === null) return;
      server.multipart = params;
    } else if (req.method === 'POST') {
      const body = await readBody(req);
      if (body === null) return;
      const badEncoding = encodingRefusal(req, body);
      if (badEncoding) return sendRefusal(res, badEncoding);
      // Yoga (through @whatwg-node/server) takes an already-read body from `req.body`.
      (req as IncomingMessage & { body?: Buffer }).body = body;
    }
    // Not yoga.handle: on an exception it answers a 500 whose body is the stack trace. Here an
    // exception reaches the generic handler in createServer, which logs it and answers without one.
    // Through the database gate until the response exists; streaming it (SSE) does not hold the gate.
    let response;
    try {
      response = await database.gate.run(async () => yoga.handleNodeRequestAndResponse(req, res, server));
    } finally {
      // Uploaded files are used up once the operation ran (an accepted one was moved away).
      await removeFiles(uploads);
    }
    await sendNodeResponse(response, res, req, true);
  }

  const webSocket = attachGraphQLWebSocket({
    http,
    config,
    services,
    yoga,
    authenticators,
    connections,
    wsContexts,
    connectionInitWaitTimeoutMs: options.wsConnectionInitTimeoutMs ?? 3_000,
    serverContext: (upgrade) => ({ requestId: randomUUID(), ip: clientIp(upgrade, config.trustProxyHops), responseCookies: [] }) satisfies ServerContext,
  });

  return {
    config,
    services,
    http,
    yoga,
    sharedSubscriptions,
    listen: () =>
      new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen(config.port, config.host, () => {
          const { port } = http.address() as AddressInfo;
          const host = config.host.includes(':') ? `[${config.host}]` : config.host;
          const origin = `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`;
          if (!config.publicUrlConfigured) config.publicUrl = origin;
          resolve(`${origin}/graphql`);
        });
      }),
    async close() {
      auditRetention.stop();
      databaseAdministration.stop();
      await maintenanceWatcher.stop();
      connections.close();
      await webSocket.close();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      await closeServices(services);
    },
  };
}

/**
 * 401 (or 429 when throttled) for credentials that failed, with the challenge a client needs:
 * `Basic` on the basic backend (so a browser shows its login dialog), `Bearer` otherwise.
 */
function authenticationFailure(config: Config, message: string, retryAfter?: number): GraphQLError {
  const challenge = config.authBackend === 'basic' ? 'Basic realm="Gatehouse", charset="UTF-8"' : 'Bearer realm="Gatehouse"';
  if (retryAfter !== undefined) {
    return new GraphQLError(message, {
      extensions: { code: 'RATE_LIMITED', retryAfter, http: { status: 429, headers: { 'Retry-After': String(retryAfter) } } },
    });
  }
  return new GraphQLError(message, {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: { 'WWW-Authenticate': challenge } } },
  });
}

function responseCookiesPlugin(): Plugin<{}, ServerContext> {
  return {
    onResponse({ serverContext, response }) {
      for (const cookie of serverContext?.responseCookies ?? []) response.headers.append('set-cookie', cookie);
    },
  };
}

function sendRefusal(res: ServerResponse, refusal: Refusal & { code?: string }): void {
  sendJson(res, refusal.status, { errors: [{ message: refusal.message, extensions: { code: refusal.code ?? 'BAD_REQUEST' } }] });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

// Assembles Gatehouse from a Config: database, services, GraphQL (HTTP + WebSocket) and the
// few plain HTTP routes. No domain logic lives here.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { GraphQLError } from 'graphql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';
import type { Context, Services } from './context.ts';
import { systemClock, type Clock } from './util/clock.ts';
import { BackgroundTasks } from './util/background.ts';
import { isDatabaseReady, openDatabase } from './db/orm.ts';
import { createMailer } from './mail/mailer.ts';
import { AuthThrottle } from './auth/throttle.ts';
import { authenticate, defaultAuthenticators, type Authenticator } from './auth/authenticators.ts';
import { clearedSessionCookie } from './sessions/cookies.ts';
import { createValidatorRegistry } from './validation/rules.ts';
import type { Validator } from './validation/registry.ts';
import { schema } from './schema/index.ts';
import { clientIp } from './http/client-ip.ts';
import { csrfPlugin, isAllowedOrigin } from './http/csrf.ts';
import { createErrorMasker, toGraphQLError } from './http/errors.ts';
import { AccessError } from './errors.ts';
import { handleAccountPage } from './accounts/http.ts';

export interface GatehouseOptions {
  clock?: Clock;
  logger?: Logger;
  /** Extra validators for the registry (custom rules). */
  validators?: Validator[];
  /** Replaces the authenticator chain (default: bearer session, then cookie session). */
  authenticators?: Authenticator[];
}

export interface Gatehouse {
  config: Config;
  services: Services;
  http: Server;
  yoga: YogaServerInstance<ServerContext, Context>;
  /** Starts listening; resolves with the GraphQL endpoint URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** What the HTTP layer hands yoga for each request. */
interface ServerContext {
  requestId: string;
  ip: string;
  responseCookies: string[];
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

export function createLogger(config: Config): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'gatehouse' },
    redact: { paths: ['*.password', '*.token', '*.authorization', '*.cookie', 'req.headers.authorization', 'req.headers.cookie'], remove: true },
  });
}

export async function createGatehouse(config: Config, options: GatehouseOptions = {}): Promise<Gatehouse> {
  const logger = options.logger ?? createLogger(config);
  const clock = options.clock ?? systemClock;
  const orm = await openDatabase(config.databasePath);
  const services: Services = {
    config,
    clock,
    orm,
    logger,
    mailer: createMailer(config, logger),
    throttle: new AuthThrottle(config.throttle, clock),
    validators: createValidatorRegistry(options.validators),
    background: new BackgroundTasks(logger),
  };
  const authenticators = options.authenticators ?? defaultAuthenticators;

  async function buildContext(request: Request, server: ServerContext): Promise<Omit<Context, 'request'>> {
    const em = orm.em.fork();
    const outcome = await authenticate(authenticators, { headers: request.headers }, { em, services });
    if (outcome.kind === 'invalid') {
      throw toGraphQLError(
        new AccessError('UNAUTHENTICATED', outcome.message, {}, 401),
      );
    }
    if (outcome.kind === 'stale-cookie') server.responseCookies.push(clearedSessionCookie(config));
    const authenticated = outcome.kind === 'authenticated';
    return {
      services,
      em,
      viewer: authenticated ? outcome.user : null,
      credential: authenticated ? outcome.credential : null,
      ip: server.ip,
      userAgent: request.headers.get('user-agent'),
      requestId: server.requestId,
      responseCookies: server.responseCookies,
    };
  }

  const yoga = createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    batching: false,
    logging: false,
    context: ({ request, ...server }) => buildContext(request, server as ServerContext) as Promise<Context>,
    cors: config.corsOrigins.length
      ? {
          origin: config.corsOrigins,
          credentials: true,
          methods: ['GET', 'POST', 'OPTIONS'],
          allowedHeaders: ['content-type', 'authorization', 'x-gatehouse-csrf', 'graphql-preflight', 'x-request-id'],
          maxAge: 600,
        }
      : false,
    graphiql: config.graphiql ? { title: 'Gatehouse', defaultQuery: '{ viewer { id email } }' } : false,
    renderGraphiQL,
    maskedErrors: { maskError: createErrorMasker(logger) },
    plugins: [
      csrfPlugin(config),
      EnvelopArmorPlugin({
        // Token limit first: it stops deeply nested documents before graphql-js parses them.
        maxTokens: { n: 2000 },
        maxDepth: { n: 10, ignoreIntrospection: true, flattenFragments: true },
        maxAliases: { n: 30 },
        maxDirectives: { n: 20 },
        costLimit: { maxCost: 5000 },
        blockFieldSuggestion: { enabled: config.env === 'production' },
      }),
      responseCookiesPlugin(),
    ],
  });

  const http = createServer((req, res) => {
    handleHttp(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'unhandled HTTP error');
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
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/health') return sendJson(res, 200, { status: 'ok' });
    if (path === '/ready') {
      const ready = await isDatabaseReady(orm);
      return sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable', database: ready });
    }
    if (path === '/graphql') {
      const refusal = bodyRefusal(req, config.maxBodyBytes);
      if (refusal) return sendJson(res, refusal.status, { errors: [{ message: refusal.message, extensions: { code: 'BAD_REQUEST' } }] });
      const server: ServerContext = { requestId, ip: clientIp(req, config.trustProxyHops), responseCookies: [] };
      await yoga.handle(req, res, server);
      return;
    }
    if (await handleAccountPage(req, res, { services, ip: clientIp(req, config.trustProxyHops), requestId })) return;
    sendJson(res, 404, { error: 'Not found.' });
  }

  const wsServer = new WebSocketServer({ noServer: true, maxPayload: config.maxBodyBytes });
  http.on('upgrade', (req, socket, head) => {
    const origin = req.headers.origin;
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/graphql' || (origin && !isAllowedOrigin(config, origin, req.headers.host ?? null))) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    wsServer.handleUpgrade(req, socket, head, (ws) => wsServer.emit('connection', ws, req));
  });
  const wsDisposable = useServer<Record<string, unknown> | undefined>(
    {
      execute: (args: any) => args.rootValue.execute(args),
      subscribe: (args: any) => args.rootValue.subscribe(args),
      onSubscribe: async (ctx, _id, payload) => {
        const upgrade = ctx.extra.request;
        const headers = new Headers();
        const authorization = ctx.connectionParams?.['authorization'] ?? ctx.connectionParams?.['Authorization'];
        if (typeof authorization === 'string') headers.set('authorization', authorization);
        if (upgrade.headers.cookie) headers.set('cookie', upgrade.headers.cookie);
        if (upgrade.headers['user-agent']) headers.set('user-agent', upgrade.headers['user-agent']);
        const request = new Request('http://localhost/graphql', { headers });
        const server: ServerContext = { requestId: randomUUID(), ip: clientIp(upgrade, config.trustProxyHops), responseCookies: [] };
        const enveloped = yoga.getEnveloped({ ...server, request, params: payload } as never);
        let document;
        try {
          document = enveloped.parse(payload.query);
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError('Invalid query.')];
        }
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length) return errors;
        let contextValue;
        try {
          contextValue = await enveloped.contextFactory();
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError('Unexpected error.')];
        }
        return {
          schema: enveloped.schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue,
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
      },
    },
    wsServer,
  );

  return {
    config,
    services,
    http,
    yoga,
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
      await wsDisposable.dispose();
      for (const client of wsServer.clients) client.terminate();
      wsServer.close();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      await services.background.settle();
      services.mailer.close();
      await orm.close();
    },
  };
}

function responseCookiesPlugin(): Plugin<{}, ServerContext> {
  return {
    onResponse({ serverContext, response }) {
      for (const cookie of serverContext?.responseCookies ?? []) response.headers.append('set-cookie', cookie);
    },
  };
}

/** Refuses bodies over the limit before yoga reads them (and chunked POSTs, whose size is unknown). */
function bodyRefusal(req: IncomingMessage, maxBytes: number): { status: number; message: string } | null {
  if (req.method !== 'POST') return null;
  const length = req.headers['content-length'];
  if (length === undefined) return { status: 411, message: 'A Content-Length header is required.' };
  const bytes = Number(length);
  if (!Number.isSafeInteger(bytes) || bytes < 0) return { status: 400, message: 'Invalid Content-Length.' };
  if (bytes > maxBytes) return { status: 413, message: `Request body over ${maxBytes} bytes.` };
  return null;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

// The HTTP server: request ids and logging, the plain routes (health, readiness, account and
// invitation pages, OAuth, the database download), and the checks a GraphQL request passes
// before yoga reads it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AsyncLocalStorage } from 'node:async_hooks';
import { sendNodeResponse } from '@whatwg-node/server';
import type { Services } from './context.ts';
import type { GatehouseYoga } from './graphql-server.ts';
import type { ContextBuilder } from './auth/request-context.ts';
import { isDatabaseReady } from './db/orm.ts';
import { isRedisReady } from './db/redis.ts';
import { clientIp } from './http/client-ip.ts';
import { isMultipart, removeFiles } from './http/multipart.ts';
import { bodyRefusal, contentEncodingRefusal, encodingRefusal, hostRefusal, readBody } from './http/request-checks.ts';
import { sendJson, sendRefusal, type ServerContext } from './http/responses.ts';
import { handleAccountPage } from './accounts/http.ts';
import { anonymousMaintenanceRefusal } from './maintenance/gate.ts';
import { handleInvitationPage } from './organizations/http.ts';
import { handleOAuthRoute } from './oauth/http.ts';
import { handleDatabaseDownload, receiveUpload } from './database/http.ts';
import { DOWNLOAD_PATH } from './database/service.ts';
import { handleConsole, type ConsoleBuild } from './console/http.ts';
import { createMetricsHandler, METRICS_PATH } from './observability/http.ts';

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

export interface HttpServerParts {
  services: Services;
  yoga: GatehouseYoga;
  buildContext: ContextBuilder;
  /** Set to the request id while a request is handled (the error masker reads it). */
  requestIds: AsyncLocalStorage<string>;
  /** The admin console's built files, read once (CONSOLE=false: null, and /admin is a 404). */
  consoleBuild: ConsoleBuild | null;
}

export function createHttpServer({ services, yoga, buildContext, requestIds, consoleBuild }: HttpServerParts): Server {
  const { config, logger, database } = services;
  if (consoleBuild && consoleBuild.files === null) logger.warn('The admin console is not built (console/dist is missing): run `npm run console:build`.');
  const http = createServer((req, res) => {
    handleHttp(req, res).catch((error: unknown) => {
      logger.error({ err: error, requestId: res.getHeader('x-request-id') }, 'unhandled HTTP error');
      if (!res.headersSent) sendJson(res, 500, { error: 'Unexpected error.' });
      else res.destroy();
    });
  });
  const handleMetrics = createMetricsHandler(config.metrics.token, services.metrics);
  http.requestTimeout = 30_000;
  http.headersTimeout = 15_000;

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const incomingId = req.headers['x-request-id'];
    const requestId = typeof incomingId === 'string' && REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
    res.setHeader('x-request-id', requestId);
    // The access log line is at info level: below it (LOG_LEVEL=warn), no listener and no line per request.
    if (logger.isLevelEnabled('info')) {
      const started = performance.now();
      res.on('finish', () =>
        logger.info(
          { requestId, method: req.method, path: req.url?.split('?')[0], status: res.statusCode, ms: Math.round(performance.now() - started) },
          'request',
        ),
      );
    }
    await requestIds.run(requestId, () => route(req, res, requestId));
  }

  async function route(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/health') return sendJson(res, 200, { status: 'ok' });
    if (path === '/graphql') return handleGraphQL(req, res, requestId);
    // Not through the database gate: a scrape during a restore still answers.
    if (path === METRICS_PATH) return handleMetrics(req, res);
    const ip = clientIp(req, config.trustProxyHops);
    // For the pages that read the session cookie (the download, the invitation page): a stale cookie
    // is cleared on their response, as a GraphQL response clears it.
    const authenticate = async (headers: Headers) => {
      const responseCookies: string[] = [];
      try {
        return await buildContext(new Request('http://localhost/', { headers }), { requestId, ip, responseCookies });
      } finally {
        if (!res.headersSent) for (const cookie of responseCookies) res.appendHeader('set-cookie', cookie);
      }
    };
    if (path === DOWNLOAD_PATH) return handleDatabaseDownload(req, res, { services, authenticate, ip, requestId });
    // After the server's own routes under /admin (the database download): the rest of /admin is the console's.
    if (consoleBuild && handleConsole(req, res, consoleBuild, path)) return;
    // Through the database gate: held while a restore swaps the database file.
    await database.gate.run(async () => {
      if (path === '/ready') {
        // Every configured backend: an instance that cannot reach Redis would miss events and share no counters.
        const [database, redis] = await Promise.all([isDatabaseReady(services.orm), services.redis ? isRedisReady(services.redis) : null]);
        const ready = database && redis !== false;
        return sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable', database, ...(redis === null ? {} : { redis }) });
      }
      // The account pages write anonymously: during maintenance that is refused, as their mutations are.
      const writeRefusal = () => anonymousMaintenanceRefusal(services);
      if (await handleAccountPage(req, res, { services, ip, requestId, writeRefusal })) return;
      if (await handleInvitationPage(req, res, { services, authenticate, ip, console: consoleBuild !== null })) return;
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
      if (uploads.length) await removeFiles(uploads);
    }
    await sendNodeResponse(response, res, req, true);
  }

  return http;
}

// GraphQL over WebSocket (graphql-ws) on the HTTP server's upgrade: the same yoga plugins as
// HTTP (CSRF aside: the Origin is checked at the upgrade), authentication at connection_init,
// live connections registered so revocations close them, and every operation inside the
// database gate (a restore waits for it, it waits for a restore).
import type { IncomingMessage, Server } from 'node:http';
import { GraphQLError } from 'graphql';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Config } from '../config/index.ts';
import type { EntityManager } from '@mikro-orm/sql';
import type { Services } from '../context.ts';
import { clientIp } from '../http/client-ip.ts';
import { isAllowedOrigin } from '../http/csrf.ts';
import { socketOperationDocument } from '../http/trusted-documents.ts';
import type { TrustedDocuments } from '../config/trusted-documents.ts';
import type { ConnectionRegistry } from './connections.ts';
import type { LiveCredential } from './pubsub.ts';

export interface WebSocketDeps {
  http: Server;
  config: Config;
  services: Services;
  yoga: YogaServerInstance<any, any>;
  /** The authenticator chain (auth/authenticators.ts): a socket's credentials, checked at connection_init. */
  authenticators: {
    authenticateConnection(
      request: { headers: Headers; ip: string },
      deps: { em: EntityManager; services: Services },
    ): Promise<LiveCredential | null | 'refused'>;
  };
  connections: ConnectionRegistry;
  /** Contexts of operations over graphql-ws: their socket is closed as a whole, not each subscription. */
  wsContexts: WeakSet<object>;
  /** The documents non-admins may send (TRUSTED_DOCUMENTS and the console's); null: any. */
  trustedDocuments: TrustedDocuments | null;
  /** How long a socket may stay open without `connection_init` before it is closed with 4408. */
  connectionInitWaitTimeoutMs: number;
  /** What the HTTP layer would hand yoga for a request (request id, client IP…), for an operation of this socket. */
  serverContext(upgrade: IncomingMessage): object;
}

export function attachGraphQLWebSocket(deps: WebSocketDeps): { close(): Promise<void> } {
  const { http, config, services, yoga, authenticators, connections, wsContexts } = deps;
  const { database } = services;
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
  // The credentials of a socket: connectionParams `authorization`, or the upgrade request's cookie.
  function socketHeaders(upgrade: IncomingMessage, connectionParams: Record<string, unknown> | undefined): Headers {
    const headers = new Headers();
    const authorization = connectionParams?.['authorization'] ?? connectionParams?.['Authorization'];
    if (typeof authorization === 'string') headers.set('authorization', authorization);
    if (upgrade.headers.cookie) headers.set('cookie', upgrade.headers.cookie);
    if (upgrade.headers['user-agent']) headers.set('user-agent', upgrade.headers['user-agent']);
    return headers;
  }
  // Per socket: removes it from the connection registry.
  const socketRegistrations = new WeakMap<object, () => void>();
  const wsDisposable = useServer<Record<string, unknown> | undefined>(
    {
      connectionInitWaitTimeout: deps.connectionInitWaitTimeoutMs,
      execute: (args: any) => args.rootValue.execute(args),
      subscribe: (args: any) => args.rootValue.subscribe(args),
      // Authenticates once at connection_init: bad credentials close the socket with 4403. Each
      // operation still authenticates again (onSubscribe), so a revoked session fails at once.
      onConnect: async (ctx) => {
        const upgrade = ctx.extra.request;
        const credential = await database.gate.run(() =>
          authenticators.authenticateConnection(
            { headers: socketHeaders(upgrade, ctx.connectionParams), ip: clientIp(upgrade, config.trustProxyHops) },
            { em: services.orm.em.fork(), services },
          ),
        );
        if (credential === 'refused') return false;
        const socket = ctx.extra.socket;
        if (credential) socketRegistrations.set(ctx, connections.add(credential, () => socket.close(4403, 'Forbidden')));
        return true;
      },
      onClose: (ctx) => socketRegistrations.get(ctx)?.(),
      onSubscribe: async (ctx, _id, payload) => {
        // Inside the database gate from the context (its EntityManager) to the end of execution.
        const ticket = await database.gate.enter();
        let handedOver = false;
        try {
          const args = await prepareOperation(ctx, payload);
          if (Array.isArray(args)) return args;
          handedOver = true;
          const { execute, subscribe } = args.rootValue;
          return {
            ...args,
            rootValue: {
              execute: (a: unknown) => database.gate.within(ticket, async () => execute(a as never)),
              subscribe: (a: unknown) => database.gate.within(ticket, async () => subscribe(a as never)),
            },
          };
        } finally {
          if (!handedOver) database.gate.leave(ticket);
        }
      },
    },
    wsServer,
  );

  /** Parses, validates and builds the context of a graphql-ws operation; errors are returned, not thrown. */
  async function prepareOperation(
    ctx: { extra: { request: IncomingMessage }; connectionParams?: Readonly<Record<string, unknown>> | undefined },
    payload: {
      query: string;
      operationName?: string | null | undefined;
      variables?: Record<string, unknown> | null | undefined;
      extensions?: Record<string, unknown> | null | undefined;
    },
  ) {
    const upgrade = ctx.extra.request;
    const request = new Request('http://localhost/graphql', { headers: socketHeaders(upgrade, ctx.connectionParams) });
    const enveloped = yoga.getEnveloped({ ...deps.serverContext(upgrade), request, params: payload } as never);
    let document;
    try {
      // A hash of a trusted document (TRUSTED_DOCUMENTS) is resolved before parsing, as on HTTP.
      document = enveloped.parse(socketOperationDocument(deps.trustedDocuments, payload));
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
    wsContexts.add(contextValue as object);
    return {
      schema: enveloped.schema,
      operationName: payload.operationName,
      document,
      variableValues: payload.variables,
      contextValue,
      rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
    };
  }

  return {
    async close() {
      await wsDisposable.dispose();
      for (const client of wsServer.clients) client.terminate();
      wsServer.close();
    },
  };
}

// The GraphQL server (yoga): the schema, the per-operation context and the plugins every
// operation passes, over HTTP, SSE and WebSocket alike, in the order they must run.
import type { AsyncLocalStorage } from 'node:async_hooks';
import { createYoga, type GraphiQLOptions, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { Context, Services } from './context.ts';
import { schema } from './schema.ts';
import type { ContextBuilder } from './auth/request-context.ts';
import { corsPlugin } from './http/cors.ts';
import { csrfPlugin } from './http/csrf.ts';
import { createErrorMasker, validationValuesPlugin } from './http/errors.ts';
import { documentNestingPlugin, graphqlLimitsPlugin } from './http/limits.ts';
import { multipartParamsPlugin } from './http/multipart.ts';
import { requestParsingPlugin } from './http/request-parsing.ts';
import { responseCookiesPlugin, type ServerContext } from './http/responses.ts';
import { trustedDocumentsPlugin } from './http/trusted-documents.ts';
import { validationCachePlugin } from './http/validation-cache.ts';
import { maintenanceGatePlugin } from './maintenance/gate.ts';
import { mfaEnrollmentGatePlugin } from './mfa/policy.ts';
import { endRevokedSubscriptionsPlugin, type ConnectionRegistry } from './realtime/connections.ts';
import type { SharedSubscriptions } from './realtime/shared-subscriptions.ts';
import type { TrustedDocuments } from './config/trusted-documents.ts';

/**
 * GraphiQL's page, imported on its first request: the module is a 9 MB script that holds about
 * 40 MiB once loaded, and production (GRAPHIQL off) never needs it.
 */
async function renderGraphiQL(options: GraphiQLOptions): Promise<string> {
  const { renderGraphiQL: render } = await import('@graphql-yoga/render-graphiql');
  return render(options);
}

export type GatehouseYoga = YogaServerInstance<ServerContext, Context>;

export interface GraphQLServerParts {
  services: Services;
  buildContext: ContextBuilder;
  /** Live connections, ended when their credentials are revoked. */
  connections: ConnectionRegistry;
  /** Contexts of operations over graphql-ws: their socket is closed as a whole, not each subscription. */
  wsContexts: WeakSet<object>;
  sharedSubscriptions: SharedSubscriptions;
  /** The request id of the HTTP request being handled, for the error masker's log lines. */
  requestIds: AsyncLocalStorage<string>;
  /** The documents non-admins may send (TRUSTED_DOCUMENTS and the console's); null: any. */
  trustedDocuments: TrustedDocuments | null;
  /** Metrics and tracing plugins (src/observability/setup.ts), first: they see refused operations too. */
  observabilityPlugins: Plugin[];
}

export function createGraphQLServer(parts: GraphQLServerParts): GatehouseYoga {
  const { services, buildContext, connections, wsContexts, sharedSubscriptions, requestIds, trustedDocuments } = parts;
  return createYoga<ServerContext, Context>({
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
    // Parsed documents are cached by yoga; validation results by validationCachePlugin below.
    parserAndValidationCache: { validationCache: false },
    graphiql: services.config.graphiql ? { title: 'Gatehouse', defaultQuery: '{ viewer { id email } }' } : false,
    renderGraphiQL,
    maskedErrors: { maskError: createErrorMasker(services.logger, () => requestIds.getStore()) },
    plugins: [
      // First: a gate below that refuses an operation stops the execute hooks of the plugins after it.
      ...parts.observabilityPlugins,
      corsPlugin(services.config),
      csrfPlugin(services.config),
      multipartParamsPlugin(),
      requestParsingPlugin(),
      graphqlLimitsPlugin(services.config),
      // After graphqlLimitsPlugin: it wraps the parser armor installs.
      documentNestingPlugin(),
      validationValuesPlugin(),
      // After the parser limits, before the gate: a document not in TRUSTED_DOCUMENTS never executes.
      trustedDocumentsPlugin(trustedDocuments),
      // Runs on execute/subscribe (after the context exists), for HTTP, SSE and WebSocket alike.
      maintenanceGatePlugin(),
      // After maintenance (whose answer wins for everyone but admins): MFA_REQUIRED_ROLES holders without a factor.
      mfaEnrollmentGatePlugin(),
      endRevokedSubscriptionsPlugin(connections, wsContexts),
      responseCookiesPlugin(),
      // Where yoga's own validation cache would be: after the plugins that add rules or change results.
      validationCachePlugin(),
      // Last: subscribers join a shared execution only after every plugin above let them through.
      sharedSubscriptions.plugin,
    ],
  });
}

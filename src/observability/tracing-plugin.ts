// A span for every GraphQL operation (envelop, so HTTP, SSE and graphql-ws alike), named and
// attributed as OpenTelemetry's GraphQL conventions say: `query viewer`, graphql.operation.name,
// graphql.operation.type. It opens when yoga takes the request, so a document that fails to parse or
// validate, or an operation a gate refuses, is traced too. A W3C `traceparent` header the client
// sent makes it a child of the caller's trace. Errors mark the span with their codes only: never the
// document, variables or messages, which may quote a password.
//
// Why not @envelop/opentelemetry: it opens spans in execute only (parse and validation failures
// leave no trace), records every error message as JSON (input echoed into the collector), and pulls
// in a second, older major version of the SDK.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, type Span, type TextMapGetter, type TextMapPropagator, type Tracer } from '@opentelemetry/api';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { DocumentNode } from 'graphql';
import { errorCode, errorCodes } from './outcome.ts';
import { operationOf, type OperationInfo } from './operation.ts';

const headersGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

export function tracingPlugin(tracer: Tracer, propagator: TextMapPropagator): Plugin {
  const spans = new WeakMap<object, Span>();

  function end(context: object, codes: string[]): void {
    const span = spans.get(context);
    if (!span) return;
    spans.delete(context);
    if (codes.length) {
      span.setAttribute('graphql.error.codes', codes);
      span.setStatus({ code: SpanStatusCode.ERROR, message: codes[0] });
    }
    span.end();
  }

  function describe(context: object, { name, type }: OperationInfo): void {
    const span = spans.get(context);
    if (!span) return;
    span.updateName(name ? `${type} ${name}` : type);
    span.setAttribute('graphql.operation.type', type);
    if (name) span.setAttribute('graphql.operation.name', name);
  }

  const operationNameOf = (context: object) => (context as { params?: { operationName?: string | null } }).params?.operationName;

  return {
    onPluginInit({ registerContextErrorHandler }) {
      registerContextErrorHandler(({ context, error }) => end(context, [errorCode(error)]));
    },
    onEnveloped({ context }) {
      if (!context) return;
      const { request, requestId } = context as { request?: Request; requestId?: string };
      const parent = request ? propagator.extract(ROOT_CONTEXT, request.headers, headersGetter) : ROOT_CONTEXT;
      const span = tracer.startSpan('GraphQL Operation', { kind: SpanKind.SERVER, attributes: requestId ? { 'gatehouse.request_id': requestId } : {} }, parent);
      spans.set(context, span);
    },
    onParse({ context }) {
      return ({ result }) => {
        if (result instanceof Error) end(context, ['GRAPHQL_PARSE_FAILED']);
      };
    },
    onValidate({ context, params }) {
      return ({ valid }) => {
        if (valid) return;
        describe(context, operationOf(params.documentAST, operationNameOf(context)));
        end(context, ['GRAPHQL_VALIDATION_FAILED']);
      };
    },
    onExecute({ args }) {
      const context = args.contextValue as object;
      describe(context, operationOf(args.document as DocumentNode, args.operationName));
      return {
        onExecuteDone({ result }) {
          if (!isAsyncIterable(result)) return end(context, errorCodes(result.errors));
          return { onEnd: () => end(context, []) };
        },
      };
    },
    onSubscribe({ args }) {
      const context = args.contextValue as object;
      describe(context, { ...operationOf(args.document as DocumentNode, args.operationName), type: 'subscription' });
      return {
        // The span covers starting the subscription (or refusing it), not its hours of events.
        onSubscribeResult({ result }) {
          end(context, isAsyncIterable(result) ? [] : errorCodes(result.errors));
        },
      };
    },
  };
}

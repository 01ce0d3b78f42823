// The metrics plugin (envelop, so HTTP, SSE and graphql-ws alike): every GraphQL operation is
// counted by name, type and outcome, queries and mutations are timed from the moment yoga takes
// the request, and running subscriptions are a gauge by transport. First in the plugin list: a gate
// that refuses an operation (maintenance, trusted documents) stops the hooks after it, and a refused
// operation counts too.
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { DocumentNode } from 'graphql';
import type { GatehouseMetrics, SubscriptionTransport } from './metrics.ts';
import { outcomeOf } from './outcome.ts';
import { operationOf } from './operation.ts';

export interface GraphQLMetricsOptions {
  /** Which transport an operation's context came over (graphql-ws contexts are known to the server). */
  transportOf(context: object): SubscriptionTransport;
}

export function graphqlMetricsPlugin(metrics: GatehouseMetrics, { transportOf }: GraphQLMetricsOptions): Plugin {
  // On the context itself (a symbol no one else reads): cheaper than a WeakMap entry per operation.
  const STARTED = Symbol('gatehouse.metrics.started');
  const seconds = (context: object): number | null => {
    const start = (context as { [STARTED]?: number })[STARTED];
    return start === undefined ? null : (performance.now() - start) / 1000;
  };
  const paramsOf = (context: object) => (context as { params?: { operationName?: string | null } }).params;

  return {
    onEnveloped({ context }) {
      if (context) (context as { [STARTED]?: number })[STARTED] = performance.now();
    },
    onParse({ context }) {
      return ({ result }) => {
        if (result instanceof Error) metrics.recordOperation(null, 'unknown', 'GRAPHQL_PARSE_FAILED', seconds(context));
      };
    },
    onValidate({ context, params }) {
      return ({ valid }) => {
        if (valid) return;
        const { name, type } = operationOf(params.documentAST, paramsOf(context)?.operationName);
        metrics.recordOperation(name, type, 'GRAPHQL_VALIDATION_FAILED', seconds(context));
      };
    },
    onExecute({ args }) {
      const { name, type } = operationOf(args.document as DocumentNode, args.operationName);
      const recorder = metrics.operation(name, type);
      const context = args.contextValue as object;
      return {
        onExecuteDone({ result }) {
          if (!isAsyncIterable(result)) {
            recorder.record(outcomeOf(result.errors), seconds(context));
            return undefined;
          }
          // Incremental delivery (@defer, @stream): timed to its last part.
          return { onEnd: () => recorder.record('success', seconds(context)) };
        },
      };
    },
    onSubscribe({ args }) {
      const { name } = operationOf(args.document as DocumentNode, args.operationName);
      const context = args.contextValue as object;
      return {
        onSubscribeResult({ result }) {
          if (!isAsyncIterable(result)) {
            // Refused before it started (maintenance, a missing sign-in): one answer, no stream.
            metrics.recordOperation(name, 'subscription', outcomeOf(result.errors), null);
            return undefined;
          }
          metrics.recordOperation(name, 'subscription', 'success', null);
          const transport = transportOf(context);
          metrics.trackSubscription(transport, 1);
          return { onEnd: () => metrics.trackSubscription(transport, -1) };
        },
      };
    },
  };
}

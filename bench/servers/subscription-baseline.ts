// Baseline for bench/subscriptions.ts: the plain stack Gatehouse is built on, nothing of ours.
// graphql-yoga on node:http, graphql-ws over `ws` wired the way yoga's documentation shows, and
// yoga's createPubSub. One subscription field that, like `maintenanceModeChanged`, emits the
// current state on subscribe and then every change; a mutation over HTTP publishes a change.
//
//   PORT=4100 node bench/servers/subscription-baseline.ts
import { createServer } from 'node:http';
import { createPubSub, createSchema, createYoga } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';

interface State {
  enabled: boolean;
  message: string | null;
}

const pubsub = createPubSub<{ changed: [State] }>();
let current: State = { enabled: false, message: null };

const yoga = createYoga({
  logging: false,
  graphiql: false,
  schema: createSchema({
    typeDefs: /* GraphQL */ `
      type State {
        enabled: Boolean!
        message: String
      }
      type Query {
        state: State!
      }
      type Mutation {
        setState(enabled: Boolean!, message: String): State!
      }
      type Subscription {
        stateChanged: State!
      }
    `,
    resolvers: {
      Query: { state: () => current },
      Mutation: {
        setState: (_root: unknown, args: { enabled: boolean; message?: string | null }) => {
          current = { enabled: args.enabled, message: args.message ?? null };
          pubsub.publish('changed', current);
          return current;
        },
      },
      Subscription: {
        stateChanged: {
          subscribe: async function* () {
            yield current;
            for await (const state of pubsub.subscribe('changed')) yield state;
          },
          resolve: (state: State) => state,
        },
      },
    },
  }),
});

const http = createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  void yoga(req, res);
});

const wsServer = new WebSocketServer({ server: http, path: yoga.graphqlEndpoint });
useServer(
  {
    execute: (args: any) => args.rootValue.execute(args),
    subscribe: (args: any) => args.rootValue.subscribe(args),
    onSubscribe: async (ctx, _id, params) => {
      const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
        ...ctx,
        req: ctx.extra.request,
        socket: ctx.extra.socket,
        params,
      });
      const args = {
        schema,
        operationName: params.operationName,
        document: parse(params.query),
        variableValues: params.variables,
        contextValue: await contextFactory(),
        rootValue: { execute, subscribe },
      };
      const errors = validate(args.schema, args.document);
      if (errors.length) return errors;
      return args;
    },
  },
  wsServer,
);

const port = Number(process.env.PORT ?? 4100);
http.listen(port, '127.0.0.1', () => {
  const address = http.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${actual}/graphql` })}\n`);
});

const stop = () => {
  for (const client of wsServer.clients) client.terminate();
  http.closeAllConnections();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

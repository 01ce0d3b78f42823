// Baseline for the HTTP benchmarks: graphql-yoga with one `hello` field, handed to node:http as
// the request listener itself (no wrapper around it, no plugin, no landing page, no GraphiQL,
// no logger): the fastest yoga that still answers GraphQL over HTTP the way yoga does. GET
// /health is yoga's own health check. Prints nothing; the driver polls /health.
//
//   PORT=4100 node bench/servers/bare-yoga.ts
import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';

const yoga = createYoga({
  schema: createSchema({
    typeDefs: 'type Query { hello: String! }',
    resolvers: { Query: { hello: () => 'world' } },
  }),
  landingPage: false,
  graphiql: false,
  logging: false,
});

const http = createServer(yoga);
http.listen(Number(process.env.PORT ?? 4100), '127.0.0.1');
const stop = () => {
  http.closeAllConnections();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

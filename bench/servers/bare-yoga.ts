// Baseline for the HTTP benchmarks: graphql-yoga on node:http with one `hello` field, configured
// the way its documentation starts (nothing of Gatehouse). Prints {"url": …} once listening.
//
//   PORT=4100 node bench/servers/bare-yoga.ts
import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';

const yoga = createYoga({
  logging: false,
  graphiql: false,
  schema: createSchema({
    typeDefs: 'type Query { hello: String! }',
    resolvers: { Query: { hello: () => 'world' } },
  }),
});

const http = createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  void yoga(req, res);
});

http.listen(Number(process.env.PORT ?? 4100), '127.0.0.1');
const stop = () => {
  http.closeAllConnections();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

// Baseline for `viewer` on PostgreSQL: bare graphql-yoga on node:http whose `viewer` resolver makes
// the indexed session lookup itself through `pg` — the bearer token's SHA-256, the statement
// Gatehouse prepares (src/sessions/service.ts, here named and prepared the same way), expiry and
// disabled checks — on a pool as large as Gatehouse's default. Nothing else of Gatehouse (no
// ORM, plugins, scopes or error masking).
//
//   DATABASE_URL=postgres://…/bench PORT=4101 node bench/servers/pg-viewer-yoga.ts
import { hash } from 'node:crypto';
import { createServer } from 'node:http';
import { createSchema, createYoga, type YogaInitialContext } from 'graphql-yoga';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });

const SESSION_LOOKUP = {
  name: 'bench_session_lookup',
  text:
    'select s.id as "s$id", s.created_at as "s$created_at", s.last_seen_at as "s$last_seen_at", s.expires_at as "s$expires_at", u.* ' +
    'from sessions s join users u on u.id = s.user_id where s.token_hash = $1',
};

interface ViewerRow {
  id: string;
  email: string;
  disabled: boolean;
  s$expires_at: Date;
}

async function viewer(authorization: string | null): Promise<{ id: string; email: string } | null> {
  const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
  if (!token) return null;
  const { rows } = await pool.query<ViewerRow>({ ...SESSION_LOOKUP, values: [hash('sha256', token, 'hex')] });
  const row = rows[0];
  if (!row || row.disabled || row.s$expires_at <= new Date()) return null;
  return { id: row.id, email: row.email };
}

const yoga = createYoga({
  logging: false,
  graphiql: false,
  schema: createSchema<YogaInitialContext>({
    typeDefs: 'type User { id: ID! email: String! } type Query { viewer: User }',
    resolvers: { Query: { viewer: (_root, _args, context: YogaInitialContext) => viewer(context.request.headers.get('authorization')) } },
  }),
});

const http = createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  void yoga(req, res);
});

http.listen(Number(process.env.PORT ?? 4101), '127.0.0.1');
const stop = () => {
  http.closeAllConnections();
  void pool.end().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

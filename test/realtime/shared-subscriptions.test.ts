// Shared subscriptions (src/realtime/shared-subscriptions.ts) on a small schema served by yoga over
// node:http, with SSE clients: a field marked SHARED_PER_ACCESS is subscribed once and executed
// once per event for all subscribers with the same document, variables and access; everything
// else stays per subscriber. (Gatehouse's own `maintenanceModeChanged` is covered end to end in
// test/maintenance/shared-live.test.ts.)
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLBoolean, GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { createPubSub, createYoga, Repeater } from 'graphql-yoga';
import { createSharedSubscriptions, SHARED_PER_ACCESS, type SharedSubscriptions } from '../../src/realtime/shared-subscriptions.ts';
import { sseSubscribe, type LiveResult, type SseStream } from '../maintenance/maintenance-helpers.ts';

interface ToyContext {
  viewer: { id: string } | null;
  loadAccess(): Promise<{ isAdmin: boolean; permissions: Set<string>; can(p: string): boolean }>;
}

/** How often each part ran, to tell one shared execution from one per subscriber. */
const counts = { subscribe: 0, resolve: 0, returned: 0 };
/** Upstreams (`ticks`) running now, across tests: each test starts once the previous ones' ended. */
let activeUpstreams = 0;
const pubsub = createPubSub<{ tick: [number]; stop: [] }>();
/** Makes the next subscribe of `failing` throw, after the given delay (so others can join meanwhile). */
let failingDelayMs = 0;

/**
 * 0, then each published number, then (on `stop`) the end; a negative number fails it. Counts its
 * subscribe and its return. (A Repeater, not an async generator: a generator awaiting an event
 * cannot be returned until the next event arrives.)
 */
function ticks(): AsyncIterable<number> {
  counts.subscribe++;
  activeUpstreams++;
  return new Repeater<number>(async (push, stopped) => {
    const events = pubsub.subscribe('tick');
    const stop = pubsub.subscribe('stop');
    void stop.next().then(() => stopped());
    void stopped.then(() => {
      counts.returned++;
      activeUpstreams--;
      void events.return?.();
      void stop.return?.();
    });
    await push(0);
    for await (const n of events) {
      if (n < 0) return stopped(new Error('upstream failed'));
      await push(n);
    }
  });
}

const Event = new GraphQLObjectType<number, ToyContext>({
  name: 'Event',
  fields: {
    n: { type: new GraphQLNonNull(GraphQLInt), resolve: (n) => n },
    // Depends on the viewer's permissions, as `updatedBy` does.
    secret: {
      type: GraphQLString,
      resolve: async (n, _args, ctx) => ((await ctx.loadAccess()).can('secret:read') ? `secret ${n}` : null),
    },
  },
});

const eventField = (shared: boolean, subscribe: () => AsyncIterable<number> | Promise<AsyncIterable<number>>) => ({
  type: new GraphQLNonNull(Event),
  args: { double: { type: GraphQLBoolean } },
  subscribe,
  resolve: (n: number, args: { double?: boolean | null }) => {
    counts.resolve++;
    return args.double ? n * 2 : n;
  },
  ...(shared ? { extensions: SHARED_PER_ACCESS } : {}),
});

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLBoolean, resolve: () => true } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      shared: eventField(true, ticks),
      own: eventField(false, ticks),
      failing: eventField(true, async () => {
        counts.subscribe++;
        await new Promise((resolve) => setTimeout(resolve, failingDelayMs));
        throw new Error('cannot subscribe');
      }),
    },
  }),
});

describe('shared subscriptions', () => {
  let http: Server;
  let server: { url: string };
  let shared: SharedSubscriptions;
  const streams: SseStream[] = [];

  const subscribe = async (query: string, options: { permissions?: string; variables?: Record<string, unknown>; status?: number } = {}) => {
    const headers: Record<string, string> = options.permissions === undefined ? {} : { 'x-permissions': options.permissions };
    const stream = await sseSubscribe(server, query, { headers, ...(options.variables ? { variables: options.variables } : {}) });
    streams.push(stream);
    assert.equal(stream.status, options.status ?? 200);
    return stream;
  };
  const n = (result: LiveResult, field = 'shared') => result.data?.[field]?.n;
  /** Resolves once `condition` holds (the server side of a closed stream ends a moment later). */
  const until = async (condition: () => boolean, what: string) => {
    for (let i = 0; i < 400 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(condition(), `${what}: still not the case after 4 s`);
  };

  before(async () => {
    shared = createSharedSubscriptions();
    const yoga = createYoga<object, ToyContext>({
      schema,
      logging: false,
      maskedErrors: false,
      // An `x-permissions` header makes a signed-in viewer with those permissions; without it, anonymous.
      context: ({ request }) => {
        const header = request.headers.get('x-permissions');
        const permissions = new Set(header ? header.split(',') : []);
        const access = { isAdmin: false, permissions, can: (p: string) => permissions.has(p) };
        return { viewer: header === null ? null : { id: 'u' }, loadAccess: async () => access };
      },
      plugins: [shared.plugin],
    });
    http = createServer((req, res) => void yoga(req, res));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    server = { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/graphql` };
  });
  beforeEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await until(() => shared.groups === 0 && activeUpstreams === 0, 'every group and upstream ended');
    Object.assign(counts, { subscribe: 0, resolve: 0, returned: 0 });
    failingDelayMs = 0;
  });
  after(async () => {
    for (const stream of streams) stream.close();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });

  test('subscribers of a shared field share one subscribe and one execution per event; others run their own', async () => {
    const sharedStreams = await Promise.all(Array.from({ length: 6 }, () => subscribe('subscription { shared { n } }')));
    const ownStreams = await Promise.all(Array.from({ length: 3 }, () => subscribe('subscription { own { n } }')));
    for (const stream of sharedStreams) assert.equal(n(await stream.events.next()), 0);
    for (const stream of ownStreams) assert.equal(n(await stream.events.next(), 'own'), 0);
    assert.equal(shared.groups, 1);
    assert.equal(counts.subscribe, 1 + 3);
    assert.equal(counts.resolve, 1 + 3);
    for (const tick of [1, 2, 3]) pubsub.publish('tick', tick);
    for (const stream of sharedStreams) for (const tick of [1, 2, 3]) assert.equal(n(await stream.events.next()), tick);
    for (const stream of ownStreams) for (const tick of [1, 2, 3]) assert.equal(n(await stream.events.next(), 'own'), tick);
    // 3 events: executed 3 times for the 6 shared subscribers, 3 × 3 times for the others.
    assert.equal(counts.resolve, 4 + 3 + 9);
  });

  test('access, variables and the document each make their own group with their own results', async () => {
    const anonymous = await subscribe('subscription { shared { n secret } }');
    const reader = await subscribe('subscription { shared { n secret } }', { permissions: 'secret:read' });
    const otherReader = await subscribe('subscription { shared { n secret } }', { permissions: 'secret:read' });
    const plainUser = await subscribe('subscription { shared { n secret } }', { permissions: 'other' });
    const doubled = await subscribe('subscription ($d: Boolean) { shared(double: $d) { n } }', { variables: { d: true } });
    const single = await subscribe('subscription ($d: Boolean) { shared(double: $d) { n } }', { variables: { d: false } });
    const nOnly = await subscribe('subscription { shared { n } }');
    const initial = await Promise.all([anonymous, reader, otherReader, plainUser, doubled, single, nOnly].map((s) => s.events.next()));
    assert.equal(shared.groups, 6);
    pubsub.publish('tick', 5);
    assert.deepEqual(await anonymous.events.next(), { data: { shared: { n: 5, secret: null } } });
    assert.deepEqual(await reader.events.next(), { data: { shared: { n: 5, secret: 'secret 5' } } });
    assert.deepEqual(await otherReader.events.next(), { data: { shared: { n: 5, secret: 'secret 5' } } });
    assert.deepEqual(await plainUser.events.next(), { data: { shared: { n: 5, secret: null } } });
    assert.deepEqual(await doubled.events.next(), { data: { shared: { n: 10 } } });
    assert.deepEqual(await single.events.next(), { data: { shared: { n: 5 } } });
    assert.deepEqual(await nOnly.events.next(), { data: { shared: { n: 5 } } });
    assert.deepEqual(initial[1], { data: { shared: { n: 0, secret: 'secret 0' } } });
  });

  test('a late member gets the latest event first; members leaving do not end the others; the last one ends the upstream', async () => {
    const first = await subscribe('subscription { shared { n } }');
    const second = await subscribe('subscription { shared { n } }');
    assert.equal(n(await first.events.next()), 0);
    assert.equal(n(await second.events.next()), 0);
    pubsub.publish('tick', 7);
    assert.equal(n(await first.events.next()), 7);
    assert.equal(n(await second.events.next()), 7);
    const late = await subscribe('subscription { shared { n } }');
    assert.equal(n(await late.events.next()), 7, 'the latest result, not the first');
    // The member that started the group leaves: the group goes on for the others.
    first.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    pubsub.publish('tick', 8);
    assert.equal(n(await second.events.next()), 8);
    assert.equal(n(await late.events.next()), 8);
    assert.equal(counts.subscribe, 1);
    assert.equal(counts.returned, 0);
    second.close();
    late.close();
    await until(() => counts.returned === 1, 'the upstream returned');
    assert.equal(shared.groups, 0);
    // A new subscriber starts a new group.
    const again = await subscribe('subscription { shared { n } }');
    assert.equal(n(await again.events.next()), 0);
    assert.equal(counts.subscribe, 2);
  });

  test('an upstream that ends or fails ends every member; the next subscriber starts over', async () => {
    const a = await subscribe('subscription { shared { n } }');
    const b = await subscribe('subscription { shared { n } }');
    await a.events.next();
    await b.events.next();
    pubsub.publish('tick', 1);
    pubsub.publish('stop');
    for (const stream of [a, b]) {
      assert.equal(n(await stream.events.next()), 1, 'what was sent before the end still arrives');
      await assert.rejects(stream.events.next(), /completed/);
    }
    await until(() => shared.groups === 0, 'the group ended');

    const c = await subscribe('subscription { shared { n } }');
    const d = await subscribe('subscription { shared { n } }');
    await c.events.next();
    await d.events.next();
    pubsub.publish('tick', -1);
    for (const stream of [c, d]) {
      const result = await stream.events.next();
      assert.match(result.errors?.[0]?.message ?? '', /upstream failed/);
    }
    await until(() => shared.groups === 0, 'the failed group ended');
    assert.equal(counts.subscribe, 2);
  });

  test('a subscribe that fails gives its error to every member that waited for it', async () => {
    failingDelayMs = 200;
    const waiting = await Promise.all(Array.from({ length: 3 }, () => subscribe('subscription { failing { n } }', { status: 500 })));
    for (const stream of waiting) {
      const result = await stream.events.next();
      assert.match(result.errors?.[0]?.message ?? '', /cannot subscribe/);
    }
    assert.equal(counts.subscribe, 1, 'the members joined the one pending subscribe');
    await until(() => shared.groups === 0, 'the failed group ended');
    failingDelayMs = 0;
    const later = await subscribe('subscription { failing { n } }', { status: 500 });
    assert.match((await later.events.next()).errors?.[0]?.message ?? '', /cannot subscribe/);
    assert.equal(counts.subscribe, 2, 'a later subscriber tried again');
  });
});

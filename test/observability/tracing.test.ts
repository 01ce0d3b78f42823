// OpenTelemetry traces against an in-process OTLP/HTTP receiver (node:http accepting POST
// /v1/traces, JSON bodies): a span per GraphQL operation over HTTP and graphql-ws, named and
// attributed by operation, errors marked by code, the caller's `traceparent` continued, the
// collector's headers sent, and neither documents nor passwords exported. Without an endpoint, no
// OpenTelemetry SDK, exporter or plugin is even loaded (a module resolve hook watches, registered
// before the server is imported): only prom-client's own import of the no-op @opentelemetry/api
// (for its optional exemplars).
import { registerHooks } from 'node:module';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** OpenTelemetry modules resolved, and by which module. */
const resolvedOpenTelemetry: Array<{ url: string; by: string }> = [];
const ownResolved: string[] = [];
registerHooks({
  resolve(specifier, context, nextResolve) {
    const result = nextResolve(specifier, context);
    if (result.url.includes('/node_modules/@opentelemetry/')) resolvedOpenTelemetry.push({ url: result.url, by: context.parentURL ?? '' });
    else if (result.url.includes('/src/observability/')) ownResolved.push(result.url);
    return result;
  },
});
const OTEL_PACKAGE = /\/node_modules\/(@opentelemetry\/[^/]+)\//;
const packageOf = (url: string) => OTEL_PACKAGE.exec(url)?.[1] ?? null;

const { createConfirmedUser, startTestServer } = await import('../helpers/server.ts');
const { CHANGED, wsClient, wsSubscribe } = await import('../maintenance/maintenance-helpers.ts');

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  arrayValue?: { values: OtlpValue[] };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: OtlpValue }>;
  status?: { code?: number; message?: string };
}
interface ReceivedSpan extends OtlpSpan {
  resource: Record<string, unknown>;
  attrs: Record<string, unknown>;
}

const plain = (value: OtlpValue): unknown =>
  value.arrayValue ? value.arrayValue.values.map(plain) : (value.stringValue ?? value.boolValue ?? (value.intValue === undefined ? undefined : Number(value.intValue)));
const attributes = (list: Array<{ key: string; value: OtlpValue }> = []) => Object.fromEntries(list.map(({ key, value }) => [key, plain(value)]));

/** A stand-in OpenTelemetry Collector: OTLP/HTTP with JSON bodies on POST /v1/traces. */
async function startReceiver(): Promise<{ url: string; requests: Array<{ headers: IncomingHttpHeaders; raw: string }>; spans(): ReceivedSpan[]; close(): Promise<void> }> {
  const requests: Array<{ headers: IncomingHttpHeaders; raw: string }> = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      requests.push({ headers: req.headers, raw });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    spans: () =>
      requests.flatMap(({ raw }) =>
        (JSON.parse(raw) as { resourceSpans: Array<{ resource: { attributes: [] }; scopeSpans: Array<{ spans: OtlpSpan[] }> }> }).resourceSpans.flatMap((rs) =>
          rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => ({ ...span, resource: attributes(rs.resource.attributes), attrs: attributes(span.attributes) }))),
        ),
      ),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const SPAN_KIND_SERVER = 2;
const STATUS_ERROR = 2;
const PASSWORD_IN_DOCUMENT = 'Inline-secret-password-4711';
const EMAIL_IN_DOCUMENT = 'traced.stranger@example.com';

describe('tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  test('a server started, serving and scraped loads no OpenTelemetry SDK, exporter or plugin', async () => {
    const server = await startTestServer({ METRICS_TOKEN: 'metrics-token-for-tests-0123456789' });
    try {
      assert.equal((await server.gql('query Untraced { viewer { id } }')).status, 200);
      assert.equal((await fetch(`${server.origin}/metrics`, { headers: { authorization: 'Bearer metrics-token-for-tests-0123456789' } })).status, 200);
    } finally {
      await server.close();
    }
    assert.deepEqual([...new Set(resolvedOpenTelemetry.map(({ url }) => packageOf(url)))], ['@opentelemetry/api']);
    // Imported from outside OpenTelemetry by prom-client only; and no module of ours about tracing.
    const outside = resolvedOpenTelemetry.filter(({ by }) => packageOf(by) === null);
    assert.ok(outside.length > 0);
    for (const { by } of outside) assert.match(by, /\/node_modules\/prom-client\//);
  });

  test('nor any of the tracing modules of src/observability', async () => {
    // The resolve hook sees our own modules too: none of the tracing ones was resolved.
    assert.equal(ownResolved.filter((url) => /\/src\/observability\/tracing-(sdk|plugin)\.ts$/.test(url)).length, 0);
  });
});

describe('tracing on: spans exported over OTLP/HTTP', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let spans: ReceivedSpan[];
  let userId: string;
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const callerSpanId = '00f067aa0ba902b7';

  before(async () => {
    receiver = await startReceiver();
    const server = await startTestServer({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=test%20key',
      OTEL_SERVICE_NAME: 'gatehouse-under-test',
    });
    try {
      ({ userId } = await createConfirmedUser(server, 'traced.user@example.com'));
      const { token } = await createConfirmedUser(server, 'traced.other@example.com');
      const viewer = await server.gql('query TracedViewer { viewer { id } }', {}, { token, headers: { traceparent: `00-${traceId}-${callerSpanId}-01` } });
      assert.ok(viewer.body.data?.viewer?.id);
      assert.equal((await server.gql('query TracedRoles { roles { name } }')).body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
      assert.equal((await server.gql('query TracedInvalid { noSuchField }')).status, 400);
      assert.equal((await server.gql('query TracedBroken { viewer { id ')).status, 400);
      const login = await server.gql(`mutation TracedLogin { login(input: { email: "${EMAIL_IN_DOCUMENT}", password: "${PASSWORD_IN_DOCUMENT}" }) { __typename } }`);
      assert.equal(login.body.data?.login.__typename, 'InvalidCredentialsError');
      const client = wsClient(server, token);
      const subscription = wsSubscribe(client, `subscription TracedChanges ${CHANGED.slice('subscription '.length)}`);
      await subscription.events.next();
      subscription.stop();
      await client.dispose();
    } finally {
      // Closing flushes the spans still batched.
      await server.close();
    }
    spans = receiver.spans();
  });
  after(() => receiver.close());

  const named = (name: string) => {
    const found = spans.filter((span) => span.name === name);
    assert.equal(found.length, 1, `one span named ${name}; got: ${spans.map((s) => s.name).join(', ')}`);
    return found[0]!;
  };

  test('the SDK was loaded once tracing was configured', () => {
    const packages = new Set(resolvedOpenTelemetry.map(({ url }) => packageOf(url)));
    for (const name of ['@opentelemetry/sdk-trace', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/core', '@opentelemetry/resources']) assert.ok(packages.has(name), name);
    assert.ok(ownResolved.some((url) => url.endsWith('/src/observability/tracing-plugin.ts')));
  });

  test('every request carried the collector headers and JSON; the resource names the service', () => {
    assert.ok(receiver.requests.length > 0);
    for (const { headers } of receiver.requests) {
      assert.equal(headers['x-collector-key'], 'test key');
      assert.match(headers['content-type'] ?? '', /^application\/json/);
    }
    assert.ok(spans.every((span) => span.resource['service.name'] === 'gatehouse-under-test'));
  });

  test('a query: a server span named by type and operation, with the conventional attributes', () => {
    const span = named('query TracedViewer');
    assert.equal(span.kind, SPAN_KIND_SERVER);
    assert.equal(span.attrs['graphql.operation.name'], 'TracedViewer');
    assert.equal(span.attrs['graphql.operation.type'], 'query');
    assert.equal(typeof span.attrs['gatehouse.request_id'], 'string');
    assert.notEqual(span.status?.code, STATUS_ERROR);
    assert.equal(span.attrs['graphql.error.codes'], undefined);
  });

  test("the caller's traceparent makes the span a child in the caller's trace; others start their own", () => {
    const span = named('query TracedViewer');
    assert.equal(span.traceId, traceId);
    assert.equal(span.parentSpanId, callerSpanId);
    const other = named('query TracedRoles');
    assert.notEqual(other.traceId, traceId);
    assert.ok(!other.parentSpanId);
  });

  test('errors mark the span with their codes: refused, invalid and unparsable documents', () => {
    const refused = named('query TracedRoles');
    assert.equal(refused.status?.code, STATUS_ERROR);
    assert.equal(refused.status?.message, 'UNAUTHENTICATED');
    assert.deepEqual(refused.attrs['graphql.error.codes'], ['UNAUTHENTICATED']);
    const invalid = named('query TracedInvalid');
    assert.deepEqual(invalid.attrs['graphql.error.codes'], ['GRAPHQL_VALIDATION_FAILED']);
    assert.equal(invalid.status?.code, STATUS_ERROR);
    const broken = spans.filter((span) => span.attrs['graphql.error.codes']?.toString() === 'GRAPHQL_PARSE_FAILED');
    assert.equal(broken.length, 1);
    assert.equal(broken[0]!.name, 'GraphQL Operation');
  });

  test('mutations and graphql-ws subscriptions are traced too', () => {
    const login = named('mutation TracedLogin');
    assert.equal(login.attrs['graphql.operation.type'], 'mutation');
    // A typed failure (InvalidCredentialsError) is an answer, not an error.
    assert.notEqual(login.status?.code, STATUS_ERROR);
    const subscription = named('subscription TracedChanges');
    assert.equal(subscription.attrs['graphql.operation.name'], 'TracedChanges');
    assert.equal(spans.filter((span) => span.name === 'mutation').length >= 2, true, 'register and login of createConfirmedUser');
  });

  test('no document, variable, email or password is exported', () => {
    const raw = receiver.requests.map((r) => r.raw).join('\n');
    assert.doesNotMatch(raw, new RegExp(PASSWORD_IN_DOCUMENT));
    assert.doesNotMatch(raw, new RegExp(EMAIL_IN_DOCUMENT.replace('.', '\\.')));
    assert.doesNotMatch(raw, /traced\.(user|other)@example\.com/);
    assert.doesNotMatch(raw, /correct horse/);
    assert.doesNotMatch(raw, /noSuchField|viewer \{/);
    assert.doesNotMatch(raw, new RegExp(userId));
  });
});

describe('tracing on, collector unreachable', () => {
  test('operations are answered as usual and the server still closes', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const server = await startTestServer({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await server.gql('query StillServed { maintenance { enabled } }')).body.data?.maintenance.enabled, false);
    } finally {
      await server.close();
    }
  });
});

// The observability settings: METRICS_TOKEN and the OTEL_* variables, each bad value refused at
// start with a message naming the variable; tracing off unless an endpoint is set.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** `gatehouse serve` with `env`: its exit code and what it wrote to stderr. */
function serve(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-observability-config-'));
  return new Promise((resolve) => {
    execFile(
      join(ROOT, 'node_modules', '.bin', 'node'),
      [join(ROOT, 'bin', 'gatehouse.js'), 'serve'],
      { cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: join(dir, 'g.db'), PORT: '0', ...env }, timeout: 60_000 },
      (error, _stdout, stderr) => {
        rmSync(dir, { recursive: true, force: true });
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stderr });
      },
    );
  });
}

function refused(env: Record<string, string>, variable: string): string {
  assert.throws(() => loadConfig(env), ConfigError);
  try {
    loadConfig(env);
  } catch (error) {
    assert.match((error as Error).message, new RegExp(`^  ${variable}: `, 'm'));
    return (error as Error).message;
  }
  throw new Error('unreachable');
}

describe('observability configuration', () => {
  test('defaults: no /metrics, no tracing', () => {
    const config = loadConfig({});
    assert.deepEqual(config.metrics, { token: null });
    assert.equal(config.tracing, null);
  });

  test('METRICS_TOKEN: at least 16 characters', () => {
    assert.match(refused({ METRICS_TOKEN: 'too-short' }, 'METRICS_TOKEN'), /at least 16 characters/);
    assert.equal(loadConfig({ METRICS_TOKEN: ' 0123456789abcdef ' }).metrics.token, '0123456789abcdef');
  });

  test('OTEL_EXPORTER_OTLP_ENDPOINT: an http(s) URL; traces go to /v1/traces under it', () => {
    assert.match(refused({ OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'), /http\(s\) URL/);
    refused({ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317' }, 'OTEL_EXPORTER_OTLP_ENDPOINT');
    assert.deepEqual(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing, {
      tracesUrl: 'http://collector:4318/v1/traces',
      headers: {},
      serviceName: 'gatehouse',
    });
  });

  test('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as it is, and alone turns tracing on', () => {
    refused({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' }, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
    const config = loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://otlp.example.com/custom/traces', OTEL_SERVICE_NAME: 'auth-eu' });
    assert.equal(config.tracing?.tracesUrl, 'https://otlp.example.com/custom/traces');
    assert.equal(config.tracing?.serviceName, 'auth-eu');
  });

  test('OTEL_EXPORTER_OTLP_HEADERS: key=value pairs, percent-decoded; the traces-only ones win', () => {
    const config = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'Api-Key=a%20b, x-tenant=one',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=two',
    });
    assert.deepEqual(config.tracing?.headers, { 'api-key': 'a b', 'x-tenant': 'two' });
    assert.match(refused({ OTEL_EXPORTER_OTLP_HEADERS: 'no-equals-sign' }, 'OTEL_EXPORTER_OTLP_HEADERS'), /key=value/);
    assert.match(refused({ OTEL_EXPORTER_OTLP_HEADERS: 'bad header=x' }, 'OTEL_EXPORTER_OTLP_HEADERS'), /key=value/);
    assert.match(refused({ OTEL_EXPORTER_OTLP_HEADERS: 'k=%zz' }, 'OTEL_EXPORTER_OTLP_HEADERS'), /percent-encoded/);
  });

  test('OTEL_EXPORTER_OTLP_PROTOCOL: only http/json', () => {
    for (const variable of ['OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL']) {
      for (const protocol of ['grpc', 'http/protobuf']) assert.match(refused({ [variable]: protocol }, variable), /only http\/json is supported/);
    }
    assert.ok(loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).tracing);
  });

  test('`gatehouse serve` does not start with a bad value, and says which', async () => {
    const short = await serve({ METRICS_TOKEN: 'short' });
    assert.notEqual(short.code, 0);
    assert.match(short.stderr, /METRICS_TOKEN: use at least 16 characters/);
    const grpc = await serve({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
    assert.notEqual(grpc.code, 0);
    assert.match(grpc.stderr, /OTEL_EXPORTER_OTLP_PROTOCOL: only http\/json is supported/);
  });
});

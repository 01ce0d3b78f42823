// GET /metrics in Prometheus' text format, for a scraper holding METRICS_TOKEN as a bearer token.
// Without METRICS_TOKEN the path is unknown (404, as any other). Each instance serves its own.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatehouseMetrics } from './metrics.ts';
import { sendJson } from '../http/responses.ts';

export const METRICS_PATH = '/metrics';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Compares digests of equal length, so neither the token nor its length shows in the timing. */
export function metricsTokenMatcher(token: string): (authorization: string | undefined) => boolean {
  const expected = digest(token);
  return (authorization) => {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
    // A digest is compared even without a token, so a missing header costs what a wrong one does.
    const presented = digest(match?.[1] ?? '');
    return timingSafeEqual(presented, expected) && match !== null;
  };
}

export function createMetricsHandler(token: string | null, metrics: GatehouseMetrics): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const authorized = token === null ? null : metricsTokenMatcher(token);
  return async (req, res) => {
    if (!authorized) return sendJson(res, 404, { error: 'Not found.' });
    if (!authorized(req.headers.authorization)) {
      res.setHeader('www-authenticate', 'Bearer realm="metrics"');
      return sendJson(res, 401, { error: 'A valid METRICS_TOKEN is required as a bearer token.' });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendJson(res, 405, { error: 'Use GET.' });
    }
    const body = await metrics.registry.metrics();
    res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

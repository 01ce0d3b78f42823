// CORS for the GraphQL endpoint (yoga plugin): only origins in CORS_ORIGINS get CORS headers, and
// each gets its own origin back. Yoga's built-in CORS answers an unlisted origin with the first
// listed one (one entry) or with `null` (several) — and `null` plus credentials would let any
// sandboxed iframe read responses — so it is replaced by this one.
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config/index.ts';

const ALLOWED_METHODS = 'GET, POST, OPTIONS';
const ALLOWED_HEADERS = 'content-type, authorization, x-gatehouse-csrf, graphql-preflight, x-request-id';
const PREFLIGHT_MAX_AGE_SECONDS = '600';

/** The CORS response headers for a request from `origin`; none when the origin is not listed. */
export function corsHeaders(config: Config, origin: string | null, preflight: boolean): Record<string, string> {
  if (origin === null || !config.corsOrigins.includes(origin)) return {};
  const allowed = { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true' };
  if (!preflight) return { ...allowed, 'access-control-expose-headers': 'x-request-id' };
  return {
    ...allowed,
    'access-control-allow-methods': ALLOWED_METHODS,
    'access-control-allow-headers': ALLOWED_HEADERS,
    'access-control-max-age': PREFLIGHT_MAX_AGE_SECONDS,
  };
}

export function corsPlugin(config: Config): Plugin {
  const enabled = config.corsOrigins.length > 0;
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      // Without CORS_ORIGINS there is no preflight to answer: yoga's 405 tells the browser "no".
      if (!enabled || request.method !== 'OPTIONS') return;
      endResponse(new fetchAPI.Response(null, { status: 204, headers: { 'content-length': '0' } }));
    },
    onResponse({ request, response }) {
      if (!enabled) return;
      // The answer depends on Origin, so caches must keep one copy per origin.
      response.headers.append('vary', 'Origin');
      for (const [name, value] of Object.entries(corsHeaders(config, request.headers.get('origin'), request.method === 'OPTIONS'))) {
        response.headers.set(name, value);
      }
    },
  };
}

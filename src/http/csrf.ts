// CSRF protection for cookie sessions (yoga plugin). A request that carries the session cookie
// must come from an allowed origin, and a POST must be one a browser cannot send cross-site without
// a CORS preflight: JSON, or any type with an `x-gatehouse-csrf` (or `graphql-preflight`) header.
// Requests without the cookie need no protection: they carry no ambient authority.
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.ts';
import { readSessionCookie } from '../sessions/cookies.ts';

const PREFLIGHT_HEADERS = ['x-gatehouse-csrf', 'graphql-preflight', 'apollo-require-preflight'];
const PREFLIGHTED_TYPES = ['application/json', 'application/graphql-response+json', 'application/graphql+json'];

export function isAllowedOrigin(config: Config, origin: string, host: string | null): boolean {
  if (origin === new URL(config.publicUrl).origin) return true;
  if (config.corsOrigins.includes(origin)) return true;
  // Same origin as the request itself (e.g. GraphiQL served by this server under another host name).
  return host !== null && (origin === `http://${host}` || origin === `https://${host}`);
}

export function csrfPlugin(config: Config): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      if (readSessionCookie(config, request.headers.get('cookie')) === null) return;
      const origin = request.headers.get('origin');
      const refuse = (reason: string) =>
        endResponse(
          new fetchAPI.Response(JSON.stringify({ errors: [{ message: reason, extensions: { code: 'FORBIDDEN' } }] }), {
            status: 403,
            headers: { 'content-type': 'application/json' },
          }),
        );
      if (origin !== null && origin !== 'null' && !isAllowedOrigin(config, origin, request.headers.get('host'))) {
        return refuse(`Cross-site request refused: origin ${origin} is not allowed.`);
      }
      if (origin === 'null') return refuse('Cross-site request refused: opaque origin.');
      if (request.method !== 'POST') return;
      const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (PREFLIGHTED_TYPES.includes(type)) return;
      if (PREFLIGHT_HEADERS.some((h) => request.headers.has(h))) return;
      return refuse('Cookie-authenticated POST requests must be JSON or carry an x-gatehouse-csrf header.');
    },
  };
}

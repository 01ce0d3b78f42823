// CSRF protection for credentials a browser sends by itself (yoga plugin): the session cookie, and
// on the basic backend remembered Basic credentials. Such a request must come from an allowed origin,
// and a POST must be one a browser cannot send cross-site without a CORS preflight: JSON, or any
// type with an `x-gatehouse-csrf` (or `graphql-preflight`) header. Other requests carry no ambient authority.
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
      if (!carriesAmbientCredentials(config, request.headers)) return;
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
      return refuse('POST requests with browser credentials (cookie or Basic) must be JSON or carry an x-gatehouse-csrf header.');
    },
  };
}

/**
 * Credentials a browser attaches by itself: the session cookie, and on the basic backend the
 * Basic credentials it remembers from its login dialog.
 */
function carriesAmbientCredentials(config: Config, headers: Headers): boolean {
  if (readSessionCookie(config, headers.get('cookie')) !== null) return true;
  return config.authBackend === 'basic' && /^Basic\b/i.test(headers.get('authorization') ?? '');
}

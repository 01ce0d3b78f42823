// CSRF protection for credentials a browser sends by itself (yoga plugin): the session cookie, and
// on the basic backend remembered Basic credentials. Such a request must come from an allowed origin,
// and a POST must be one a browser cannot send cross-site without a CORS preflight: JSON, or any
// type with an `x-gatehouse-csrf` (or `graphql-preflight`) header. Other requests carry no ambient authority.
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config/index.ts';
import { readSessionCookie } from './session-cookies.ts';

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
      const reason = csrfRefusal(config, request.method, request.headers);
      if (reason === null) return;
      endResponse(
        new fetchAPI.Response(JSON.stringify({ errors: [{ message: reason, extensions: { code: 'FORBIDDEN' } }] }), {
          status: 403,
          headers: { 'content-type': 'application/json' },
        }),
      );
    },
  };
}

/** Why a request must be refused as cross-site, or null. Also checked before a large upload is read. */
export function csrfRefusal(config: Config, method: string, headers: Headers): string | null {
  if (!carriesAmbientCredentials(config, headers)) return null;
  const origin = headers.get('origin');
  if (origin !== null && origin !== 'null' && !isAllowedOrigin(config, origin, headers.get('host'))) {
    return `Cross-site request refused: origin ${origin} is not allowed.`;
  }
  if (origin === 'null') return 'Cross-site request refused: opaque origin.';
  if (method !== 'POST') return null;
  const type = (headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (PREFLIGHTED_TYPES.includes(type)) return null;
  if (PREFLIGHT_HEADERS.some((h) => headers.has(h))) return null;
  return 'POST requests with browser credentials (cookie or Basic) must be JSON or carry an x-gatehouse-csrf header.';
}

/**
 * Credentials a browser attaches by itself: the session cookie, and on the basic backend the
 * Basic credentials it remembers from its login dialog.
 */
function carriesAmbientCredentials(config: Config, headers: Headers): boolean {
  if (readSessionCookie(config, headers.get('cookie')) !== null) return true;
  return config.authBackend === 'basic' && /^Basic\b/i.test(headers.get('authorization') ?? '');
}

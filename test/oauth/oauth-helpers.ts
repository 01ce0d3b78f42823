// Shared by the OAuth tests: a cookie-keeping "browser" made of fetch with manual redirects, a
// Gatehouse configured with the local OpenID Connect provider, and the sign-in flow driven end to end.
import { createHash } from 'node:crypto';
import { parseSetCookie } from 'cookie';
import { startTestServer, type RequestOptions, type TestServer } from '../helpers/server.ts';
import type { GatehouseOptions } from '../../src/server.ts';
import { CLIENT_ID, CLIENT_SECRET, TestOidcProvider } from './oidc-provider.ts';

/** A browser as far as redirects and cookies go (path scoping ignored: every cookie of a host is sent). */
export class Browser {
  readonly #jar = new Map<string, Map<string, string>>();

  cookieHeader(url: string): string {
    return [...(this.#jar.get(new URL(url).host) ?? new Map<string, string>())].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  cookie(url: string, name: string): string | undefined {
    return this.#jar.get(new URL(url).host)?.get(name);
  }

  setCookie(url: string, name: string, value: string): void {
    const host = new URL(url).host;
    const cookies = this.#jar.get(host) ?? new Map<string, string>();
    cookies.set(name, value);
    this.#jar.set(host, cookies);
  }

  async get(url: string): Promise<Response> {
    const cookie = this.cookieHeader(url);
    const response = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    for (const header of response.headers.getSetCookie()) {
      const parsed = parseSetCookie(header);
      const expired = parsed.maxAge === 0 || (parsed.expires !== undefined && parsed.expires.getTime() <= Date.now()) || parsed.value === '';
      if (expired) this.#jar.get(new URL(url).host)?.delete(parsed.name);
      else this.setCookie(url, parsed.name, parsed.value ?? '');
    }
    return response;
  }

  /**
   * Opens `url` and follows redirects while they stay on loopback (Gatehouse, the provider); stops at
   * the first location elsewhere (the app, which does not exist), the first non-redirect answer,
   * or the first location `stopAt` picks (not opened).
   */
  async open(url: string, stopAt: (url: URL) => boolean = () => false): Promise<{ url: URL; response: Response | null; hops: string[] }> {
    const hops: string[] = [];
    let current = url;
    for (let i = 0; i < 10; i++) {
      hops.push(current);
      if (!new URL(current).hostname.startsWith('127.') || stopAt(new URL(current))) return { url: new URL(current), response: null, hops };
      const response = await this.get(current);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { url: new URL(current), response, hops };
      await response.body?.cancel();
      current = new URL(location, current).href;
    }
    throw new Error(`too many redirects: ${hops.join(' → ')}`);
  }
}

export const APP_URL = 'https://app.example.com/auth/done';
export const APP_ALLOWLIST = 'https://app.example.com/auth/,com.example.app:/oauth';

export interface OAuthTest {
  idp: TestOidcProvider;
  server: TestServer;
  close(): Promise<void>;
}

/** Gatehouse with the generic `oidc` provider (and `google` / `huggingface` pointed at the same local provider). */
export async function startOAuthTest(
  env: Record<string, string> = {},
  options: GatehouseOptions | ((issuer: string) => GatehouseOptions) = {},
): Promise<OAuthTest> {
  const idp = await TestOidcProvider.listen();
  const server = await startTestServer(
    {
      OAUTH_OIDC_CLIENT_ID: CLIENT_ID,
      OAUTH_OIDC_CLIENT_SECRET: CLIENT_SECRET,
      OAUTH_OIDC_ISSUER: idp.issuer,
      OAUTH_OIDC_NAME: 'Test IdP',
      OAUTH_REDIRECT_ALLOWLIST: APP_ALLOWLIST,
      ...env,
    },
    typeof options === 'function' ? options(idp.issuer) : options,
  );
  idp.configure(['oidc', 'google', 'huggingface', 'auth0'].map((id) => `${server.origin}/auth/oauth/${id}/callback`));
  return {
    idp,
    server,
    async close() {
      await server.close();
      await idp.close();
    },
  };
}

const START = `mutation($provider: String!, $redirectTo: String, $mode: OAuthLoginMode, $codeChallenge: String) {
  startOAuthLogin(input: { provider: $provider, redirectTo: $redirectTo, mode: $mode, codeChallenge: $codeChallenge }) {
    __typename
    ... on OAuthStart { url expiresAt redirectTo }
    ... on ValidationError { code message fields { field messages } }
  }
}`;

/** What a mobile app keeps (the verifier) and sends (its S256 challenge) in CODE mode. */
export const APP_VERIFIER = 'app-verifier-0123456789-abcdefghijklmnopqrstuvwxyz';
export const APP_CHALLENGE = createHash('sha256').update(APP_VERIFIER).digest('base64url');

type StartVariables = { provider?: string; redirectTo?: string | null; mode?: 'COOKIE' | 'CODE'; codeChallenge?: string | null };

export async function startLogin(server: TestServer, variables: StartVariables = {}, options: RequestOptions = {}) {
  const res = await server.gql(START, { provider: 'oidc', ...variables }, options);
  return { res, result: res.body.data?.startOAuthLogin };
}

/** startOAuthLogin, then the browser runs the whole flow; returns where it ended. */
export async function signInWithBrowser(
  server: TestServer,
  browser: Browser,
  variables: StartVariables = { redirectTo: APP_URL },
) {
  const { result } = await startLogin(server, variables);
  if (result?.__typename !== 'OAuthStart') throw new Error(`startOAuthLogin failed: ${JSON.stringify(result)}`);
  const ended = await browser.open(result.url);
  return { ...ended, start: result, params: ended.url.searchParams };
}

export const VIEWER = `{ viewer { id email emailConfirmed hasPassword linkedAccounts { provider subject login email linkedAt lastUsedAt } } }`;

/** Who the browser's session cookie belongs to, as GraphQL sees it. */
export async function viewerOf(server: TestServer, browser: Browser) {
  const cookie = browser.cookieHeader(server.url);
  const res = await server.gql(VIEWER, {}, cookie ? { cookie } : {});
  return res.body.data?.viewer ?? null;
}

export async function auditActions(server: TestServer, adminToken: string, action: string) {
  const res = await server.gql(
    `query($action: String) { auditEvents(first: 50, filter: { action: $action }) { edges { node { action actorEmail actorType targetId details } } } }`,
    { action },
    { token: adminToken },
  );
  if (!res.body.data) throw new Error(JSON.stringify(res.body));
  return res.body.data.auditEvents.edges.map((e: any) => e.node);
}

// A local stand-in for GitHub's and Discord's OAuth endpoints and user APIs, speaking their HTTP
// shapes: the authorize redirect, the token endpoint (client Basic auth, PKCE S256 checked, each code
// once; GitHub answers a refused code with 200 and `error`, Discord with 400), and the user resources.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { OAuthEndpointOverrides } from '../../src/config/oauth-providers.ts';

export const STAND_IN_CLIENT = { id: 'stand-in-client', secret: 'stand-in-secret' };

interface PendingCode {
  challenge: string | null;
  redirectUri: string;
  provider: 'github' | 'discord';
}

/** What the APIs answer; tests change these between flows. */
export interface StandInData {
  githubUser: Record<string, unknown>;
  /** GET /user/emails: a list, or an HTTP status to fail with. */
  githubEmails: Array<{ email: string; primary: boolean; verified: boolean; visibility?: string | null }> | number;
  discordUser: Record<string, unknown>;
}

export class StandInProvider {
  origin = '';
  data: StandInData = { githubUser: {}, githubEmails: [], discordUser: {} };
  /** What the token endpoint received last (to check PKCE and client authentication were sent). */
  lastTokenRequest: { authorization: string | null; form: URLSearchParams } | null = null;
  readonly #codes = new Map<string, PendingCode>();
  readonly #tokens = new Map<string, 'github' | 'discord'>();
  readonly #server: Server = createServer((req, res) => {
    this.#handle(req, res).catch((error: unknown) => res.writeHead(500).end(String(error)));
  });

  static async start(): Promise<StandInProvider> {
    const standIn = new StandInProvider();
    await new Promise<void>((resolve) => standIn.#server.listen(0, '127.0.0.1', resolve));
    standIn.origin = `http://127.0.0.1:${(standIn.#server.address() as AddressInfo).port}`;
    return standIn;
  }

  endpoints(): OAuthEndpointOverrides {
    return {
      github: {
        authorizationEndpoint: `${this.origin}/login/oauth/authorize`,
        tokenEndpoint: `${this.origin}/login/oauth/access_token`,
        apiBase: `${this.origin}/github-api`,
      },
      discord: {
        authorizationEndpoint: `${this.origin}/oauth2/authorize`,
        tokenEndpoint: `${this.origin}/api/oauth2/token`,
        apiBase: `${this.origin}/api`,
      },
    };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    switch (`${req.method} ${url.pathname}`) {
      case 'GET /login/oauth/authorize':
        return this.#authorize(url, 'github', res);
      case 'GET /oauth2/authorize':
        return this.#authorize(url, 'discord', res);
      case 'POST /login/oauth/access_token':
      case 'POST /api/oauth2/token': {
        const provider = url.pathname.startsWith('/login') ? 'github' : 'discord';
        const token = this.#exchange(req.headers.authorization ?? null, new URLSearchParams(await readText(req)));
        if (token) return json(200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
        return provider === 'github' ? json(200, { error: 'bad_verification_code' }) : json(400, { error: 'invalid_grant' });
      }
    }
    const provider = this.#tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (provider === 'github' && url.pathname === '/github-api/user') return json(200, this.data.githubUser);
    if (provider === 'github' && url.pathname === '/github-api/user/emails') {
      const emails = this.data.githubEmails;
      return typeof emails === 'number' ? json(emails, { message: 'Resource not accessible by integration' }) : json(200, emails);
    }
    if (provider === 'discord' && url.pathname === '/api/users/@me') return json(200, this.data.discordUser);
    json(401, { message: 'Bad credentials' });
  }

  #authorize(url: URL, provider: 'github' | 'discord', res: ServerResponse): void {
    const redirectUri = url.searchParams.get('redirect_uri')!;
    const code = randomBytes(16).toString('hex');
    const method = url.searchParams.get('code_challenge_method');
    this.#codes.set(code, { challenge: method === 'S256' ? url.searchParams.get('code_challenge') : null, redirectUri, provider });
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    back.searchParams.set('state', url.searchParams.get('state') ?? '');
    res.writeHead(302, { location: back.href }).end();
  }

  #exchange(authorization: string | null, form: URLSearchParams): string | null {
    this.lastTokenRequest = { authorization, form };
    const expected = `Basic ${Buffer.from(`${STAND_IN_CLIENT.id}:${STAND_IN_CLIENT.secret}`).toString('base64')}`;
    const pending = this.#codes.get(form.get('code') ?? '');
    this.#codes.delete(form.get('code') ?? '');
    if (!pending || authorization !== expected || form.get('redirect_uri') !== pending.redirectUri) return null;
    const verifier = form.get('code_verifier') ?? '';
    if (!pending.challenge || createHash('sha256').update(verifier).digest('base64url') !== pending.challenge) return null;
    const token = randomBytes(16).toString('hex');
    this.#tokens.set(token, pending.provider);
    return token;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

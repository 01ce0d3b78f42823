// A real OpenID Connect provider (panva's oidc-provider) on loopback, inside the test process.
// Tests choose who signs in (and with which claims) or which error the provider answers; the
// interaction (login + consent) is finished without a form. PKCE is required for every client,
// and the provider checks the verifier against the challenge itself.
import { createServer, type Server } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Provider, { type Adapter, type AdapterPayload, type Configuration } from 'oidc-provider';

export interface TestAccountClaims {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  preferred_username?: string;
  picture?: string;
}

/** What the next authorization does: sign this subject in, or end with this OAuth error. */
export type NextInteraction = { login: string } | { error: string; description?: string };

export const CLIENT_ID = 'gatehouse-test';
export const CLIENT_SECRET = 'gatehouse-test-secret-0123456789';

// One signing key for every provider the tests start: RSA generation is the slow part.
const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

/** The provider's storage, in memory for one test process (its own quick-start adapter prints a warning). */
class MemoryAdapter implements Adapter {
  static readonly items = new Map<string, AdapterPayload>();
  readonly #model: string;
  constructor(model: string) {
    this.#model = model;
  }
  #key = (id: string) => `${this.#model}:${id}`;
  async upsert(id: string, payload: AdapterPayload): Promise<void> {
    MemoryAdapter.items.set(this.#key(id), payload);
  }
  async find(id: string): Promise<AdapterPayload | undefined> {
    return MemoryAdapter.items.get(this.#key(id));
  }
  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return [...MemoryAdapter.items.entries()].find(([key, p]) => key.startsWith(`${this.#model}:`) && p.uid === uid)?.[1];
  }
  async findByUserCode(): Promise<undefined> {
    return undefined;
  }
  async consume(id: string): Promise<void> {
    const payload = MemoryAdapter.items.get(this.#key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id: string): Promise<void> {
    MemoryAdapter.items.delete(this.#key(id));
  }
  async revokeByGrantId(grantId: string): Promise<void> {
    for (const [key, payload] of MemoryAdapter.items) if (payload.grantId === grantId) MemoryAdapter.items.delete(key);
  }
}

export class TestOidcProvider {
  readonly accounts = new Map<string, TestAccountClaims>();
  next: NextInteraction = { error: 'access_denied', description: 'No login chosen by the test' };
  issuer = '';
  /** Authorization codes redeemed at the token endpoint (to tell that an exchange happened). */
  codesConsumed = 0;
  #server: Server;
  #provider: Provider | null = null;

  private constructor() {
    this.#server = createServer((req, res) => {
      if (!this.#provider) {
        res.writeHead(503).end();
        return;
      }
      if (req.url?.startsWith('/interaction/')) {
        this.#interact(req, res).catch((error: unknown) => res.writeHead(500).end(String(error)));
        return;
      }
      this.#provider.callback()(req, res);
    });
  }

  /** Listens first (the issuer URL is needed to configure Gatehouse); `configure` once Gatehouse's callback URLs are known. */
  static async listen(): Promise<TestOidcProvider> {
    const idp = new TestOidcProvider();
    await new Promise<void>((resolve) => idp.#server.listen(0, '127.0.0.1', resolve));
    idp.issuer = `http://127.0.0.1:${(idp.#server.address() as AddressInfo).port}`;
    return idp;
  }

  configure(redirectUris: string[]): void {
    const configuration: Configuration = {
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          redirect_uris: redirectUris,
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      findAccount: async (ctx, sub) => {
        const claims = this.accounts.get(sub);
        const atUserinfo = ctx.oidc.route === 'userinfo';
        if (!claims) return undefined;
        return {
          accountId: sub,
          claims: async () => {
            if (atUserinfo) await this.#barrier();
            return { ...claims };
          },
        };
      },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username', 'picture'] },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      features: { devInteractions: { enabled: false } },
      pkce: { required: () => true },
      cookies: { keys: ['test-only-cookie-signing-key'] },
      adapter: MemoryAdapter,
      ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Grant: 600, Session: 600 },
      jwks: { keys: [signingKey as never] },
    };
    const provider = new Provider(this.issuer, configuration);
    provider.on('authorization_code.consumed', () => this.codesConsumed++);
    this.#provider = provider;
  }

  /** Finishes login and consent as the test said (no form), or ends the interaction with an error. */
  async #interact(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const provider = this.#provider!;
    const details = await provider.interactionDetails(req, res);
    const next = this.next;
    if ('error' in next) {
      await provider.interactionFinished(req, res, { error: next.error, error_description: next.description ?? next.error }, { mergeWithLastSubmission: false });
      return;
    }
    const grant = new provider.Grant({ accountId: next.login, clientId: String(details.params['client_id']) });
    grant.addOIDCScope(String(details.params['scope']));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { login: { accountId: next.login }, consent: { grantId } }, { mergeWithLastSubmission: false });
  }

  #waiting: Array<() => void> = [];
  #holdFor = 0;

  /** The next `count` UserInfo answers wait for one another, so that many sign-ins reach Gatehouse at the same moment. */
  holdClaims(count: number): void {
    this.#holdFor = count;
  }

  async #barrier(): Promise<void> {
    if (this.#holdFor === 0) return;
    await new Promise<void>((resolve) => {
      this.#waiting.push(resolve);
      if (this.#waiting.length < this.#holdFor) return;
      this.#holdFor = 0;
      for (const release of this.#waiting.splice(0)) release();
    });
  }

  /** Adds an account and makes it the next to sign in. */
  signInAs(claims: TestAccountClaims): void {
    this.accounts.set(claims.sub, claims);
    this.next = { login: claims.sub };
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

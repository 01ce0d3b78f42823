// Plain OAuth 2 providers with a user API of their own (GitHub, Discord), through arctic's
// OAuth2Client: the same client arctic's GitHub and Discord classes use, given the endpoints
// explicitly so a test can point them at a stand-in server. PKCE (S256) always. arctic is loaded
// with the first sign-in (a server with no such provider, or none used yet, never needs it).
import type { OAuth2Client } from 'arctic';
import type { OAuthProviderSettings, ProviderEndpoints } from '../../config/oauth-providers.ts';
import { ProviderFailure, type AuthorizationRequest, type OAuthProviderClient, type ProviderIdentity } from './types.ts';

export interface OAuth2ProviderSpec {
  authorizationEndpoint: string;
  tokenEndpoint: string;
  apiBase: string;
  scopes: string[];
  /** Reads the identity from the provider's API with the access token. */
  readIdentity(apiBase: string, accessToken: string): Promise<ProviderIdentity>;
}

export function oauth2Provider(settings: OAuthProviderSettings, spec: OAuth2ProviderSpec, endpoints: ProviderEndpoints = {}): OAuthProviderClient {
  const authorizationEndpoint = endpoints.authorizationEndpoint ?? spec.authorizationEndpoint;
  const tokenEndpoint = endpoints.tokenEndpoint ?? spec.tokenEndpoint;
  const apiBase = endpoints.apiBase ?? spec.apiBase;
  const client = async (redirectUri: string) => new (await import('arctic')).OAuth2Client(settings.clientId, settings.clientSecret, redirectUri);
  return {
    id: settings.id,
    name: settings.name,
    async authorizationUrl({ state, codeVerifier, redirectUri }) {
      const { CodeChallengeMethod } = await import('arctic');
      return (await client(redirectUri)).createAuthorizationURLWithPKCE(authorizationEndpoint, state, CodeChallengeMethod.S256, codeVerifier, spec.scopes);
    },
    async identify(callbackUrl: URL, request: AuthorizationRequest) {
      const code = callbackUrl.searchParams.get('code');
      if (!code) throw new ProviderFailure('rejected', 'The callback carries no code.');
      const accessToken = await exchangeCode(await client(request.redirectUri), tokenEndpoint, code, request.codeVerifier);
      return spec.readIdentity(apiBase, accessToken);
    },
  };
}

async function exchangeCode(client: OAuth2Client, tokenEndpoint: string, code: string, codeVerifier: string): Promise<string> {
  const { ArcticFetchError, OAuth2RequestError, UnexpectedResponseError } = await import('arctic');
  try {
    const tokens = await client.validateAuthorizationCode(tokenEndpoint, code, codeVerifier);
    // GitHub answers a refused code with 200 and an `error` field, which the generic client passes on.
    const error = (tokens.data as Record<string, unknown>)['error'];
    if (typeof error === 'string') throw new ProviderFailure('rejected', `Token endpoint refused the code: ${error}`);
    return tokens.accessToken();
  } catch (error) {
    if (error instanceof ProviderFailure) throw error;
    if (error instanceof ArcticFetchError) throw new ProviderFailure('unavailable', 'Token endpoint unreachable', { cause: error });
    if (error instanceof UnexpectedResponseError && error.status >= 500) {
      throw new ProviderFailure('unavailable', `Token endpoint answered ${error.status}`, { cause: error });
    }
    const detail = error instanceof OAuth2RequestError ? error.code : error instanceof Error ? error.message : String(error);
    throw new ProviderFailure('rejected', `Token endpoint refused the code: ${detail}`, { cause: error });
  }
}

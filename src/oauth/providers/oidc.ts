// OpenID Connect providers (Google, Hugging Face, Auth0, any issuer) through openid-client:
// metadata from discovery (cached once it succeeds), PKCE, state and nonce checked, the ID token
// validated (signature, issuer, audience, expiry), then the UserInfo claims for the email.
import * as client from 'openid-client';
import { isLoopbackUrl, type OAuthProviderSettings } from '../../config/oauth-providers.ts';
import { ProviderFailure, isNetworkFailure, type AuthorizationRequest, type OAuthProviderClient, type ProviderIdentity } from './types.ts';

const SCOPES = 'openid email profile';
const TIMEOUT_SECONDS = 10;

export function oidcProvider(settings: OAuthProviderSettings, issuer: string): OAuthProviderClient {
  const issuerUrl = new URL(issuer);
  const insecure = issuerUrl.protocol === 'http:' && isLoopbackUrl(issuerUrl);
  let configuration: Promise<client.Configuration> | null = null;

  async function discover(): Promise<client.Configuration> {
    const discovered = await client.discovery(issuerUrl, settings.clientId, settings.clientSecret, undefined, {
      execute: insecure ? [client.allowInsecureRequests] : [],
      timeout: TIMEOUT_SECONDS,
    });
    const metadata = discovered.serverMetadata();
    // client_secret_basic is the default method of the spec; use post only for an issuer that lists post alone.
    const methods = metadata.token_endpoint_auth_methods_supported;
    const basic = !methods || methods.includes('client_secret_basic') || !methods.includes('client_secret_post');
    const auth = basic ? client.ClientSecretBasic(settings.clientSecret) : client.ClientSecretPost(settings.clientSecret);
    const config = new client.Configuration(metadata, settings.clientId, settings.clientSecret, auth);
    if (insecure) client.allowInsecureRequests(config);
    config.timeout = TIMEOUT_SECONDS;
    return config;
  }

  /** Discovery runs on first use; a failure is not cached, so the next sign-in tries again. */
  function configured(): Promise<client.Configuration> {
    configuration ??= discover().catch((error: unknown) => {
      configuration = null;
      throw new ProviderFailure('unavailable', `Discovery of ${issuer} failed`, { cause: error });
    });
    return configuration;
  }

  return {
    id: settings.id,
    name: settings.name,
    async authorizationUrl({ state, codeVerifier, nonce, redirectUri }) {
      const config = await configured();
      return client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: SCOPES,
        state,
        nonce,
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
      });
    },
    async identify(callbackUrl: URL, request: AuthorizationRequest) {
      const config = await configured();
      try {
        const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: request.codeVerifier,
          expectedState: request.state,
          expectedNonce: request.nonce,
          idTokenExpected: true,
        });
        const idClaims = tokens.claims()!;
        const userInfo = config.serverMetadata().userinfo_endpoint
          ? await client.fetchUserInfo(config, tokens.access_token, idClaims.sub)
          : {};
        return identityFromClaims({ ...idClaims, ...userInfo });
      } catch (error) {
        throw classify(error);
      }
    },
  };
}

function classify(error: unknown): ProviderFailure {
  if (error instanceof ProviderFailure) return error;
  if (isNetworkFailure(error)) return new ProviderFailure('unavailable', 'Provider unreachable', { cause: error });
  if (error instanceof client.ResponseBodyError && error.status >= 500) {
    return new ProviderFailure('unavailable', `Provider answered ${error.status}`, { cause: error });
  }
  const detail = error instanceof client.ResponseBodyError ? error.error : error instanceof Error ? error.message : String(error);
  return new ProviderFailure('rejected', `Provider refused or answered invalidly: ${detail}`, { cause: error });
}

export function identityFromClaims(claims: Record<string, unknown>): ProviderIdentity {
  const text = (key: string, max = 255) => {
    const value = claims[key];
    return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, max) : null;
  };
  const subject = claims['sub'];
  // Never cut a subject: two identities would become one.
  if (typeof subject !== 'string' || subject === '' || subject.length > 255) throw new ProviderFailure('rejected', 'Identity without a usable subject');
  const verified = claims['email_verified'];
  return {
    subject,
    email: text('email', 320),
    // Some issuers send the boolean as a string.
    emailVerified: verified === true || verified === 'true',
    login: text('preferred_username') ?? text('nickname'),
    name: text('name'),
    avatarUrl: text('picture', 2048),
  };
}

// The providers Gatehouse knows, by their lower-case id: how each speaks (plain OAuth 2 with its own
// user API, or OpenID Connect with discovery) and where it lives. Config reads this to know which
// OAUTH_<ID>_* variables exist; the registry (index.ts) builds clients from it.

export const OAUTH_PROVIDER_IDS = ['github', 'google', 'discord', 'huggingface', 'auth0', 'oidc'] as const;
export type OAuthProviderId = (typeof OAUTH_PROVIDER_IDS)[number];

export interface ProviderDescription {
  name: string;
  /** `oidc`: discovery from an issuer, ID token validated; otherwise the provider's own user API. */
  protocol: 'oidc' | 'github' | 'discord';
  /** The issuer of an OIDC provider; null when the deployer configures it (OAUTH_<ID>_ISSUER). */
  issuer?: string | null;
}

export const PROVIDERS: Record<OAuthProviderId, ProviderDescription> = {
  github: { name: 'GitHub', protocol: 'github' },
  google: { name: 'Google', protocol: 'oidc', issuer: 'https://accounts.google.com' },
  discord: { name: 'Discord', protocol: 'discord' },
  // Hugging Face is an OpenID Connect issuer (arctic has no client for it).
  huggingface: { name: 'Hugging Face', protocol: 'oidc', issuer: 'https://huggingface.co' },
  auth0: { name: 'Auth0', protocol: 'oidc', issuer: null },
  oidc: { name: 'OpenID Connect', protocol: 'oidc', issuer: null },
};

export function isOAuthProviderId(value: string): value is OAuthProviderId {
  return (OAUTH_PROVIDER_IDS as readonly string[]).includes(value);
}

/** A configured provider (from OAUTH_<ID>_CLIENT_ID, _CLIENT_SECRET, _ISSUER, and for `oidc` _NAME). */
export interface OAuthProviderSettings {
  id: OAuthProviderId;
  name: string;
  clientId: string;
  clientSecret: string;
  /** OIDC providers only. */
  issuer: string | null;
}

/**
 * Where a provider's endpoints are, to point Gatehouse at a stand-in server in tests
 * (createGatehouse option `oauthEndpoints`): an issuer for OIDC providers, the three URLs otherwise.
 */
export interface ProviderEndpoints {
  issuer?: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  apiBase?: string;
}
export type OAuthEndpointOverrides = Partial<Record<OAuthProviderId, ProviderEndpoints>>;

/** http:// is allowed only for an issuer on this machine (a local provider during development and tests). */
export function isLoopbackUrl(url: URL): boolean {
  return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
}

// The configured providers, built once at start from Config (clients are cheap; OIDC discovery
// happens on first use).
import type { OAuthEndpointOverrides, OAuthProviderSettings } from '../../config/oauth-providers.ts';
import { PROVIDERS } from '../../config/oauth-providers.ts';
import { discordProvider } from './discord.ts';
import { githubProvider } from './github.ts';
import { oidcProvider } from './oidc.ts';
import type { OAuthProviderClient } from './types.ts';

declare module '../../context.ts' {
  interface Services {
    /** The configured OAuth / OpenID Connect providers. */
    oauth: OAuthProviders;
  }
}

export interface OAuthProviders {
  /** In the order of the catalogue. */
  list(): OAuthProviderClient[];
  get(id: string): OAuthProviderClient | null;
}

export function createOAuthProviders(settings: OAuthProviderSettings[], overrides: OAuthEndpointOverrides = {}): OAuthProviders {
  const clients = new Map<string, OAuthProviderClient>();
  for (const provider of settings) {
    const endpoints = overrides[provider.id];
    const protocol = PROVIDERS[provider.id].protocol;
    const client =
      protocol === 'github'
        ? githubProvider(provider, endpoints)
        : protocol === 'discord'
          ? discordProvider(provider, endpoints)
          : oidcProvider(provider, endpoints?.issuer ?? provider.issuer!);
    clients.set(provider.id, client);
  }
  return { list: () => [...clients.values()], get: (id) => clients.get(id) ?? null };
}

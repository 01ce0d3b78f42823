// Discord: GET /users/@me (scopes identify, email) gives the id, the email and whether Discord verified it.
import type { OAuthProviderSettings, ProviderEndpoints } from '../../config/oauth-providers.ts';
import { oauth2Provider } from './oauth2.ts';
import { fetchProviderJson, stringField } from './provider-api.ts';
import { ProviderFailure, type OAuthProviderClient, type ProviderIdentity } from './types.ts';

export function discordProvider(settings: OAuthProviderSettings, endpoints?: ProviderEndpoints): OAuthProviderClient {
  return oauth2Provider(
    settings,
    {
      authorizationEndpoint: 'https://discord.com/oauth2/authorize',
      tokenEndpoint: 'https://discord.com/api/oauth2/token',
      apiBase: 'https://discord.com/api',
      scopes: ['identify', 'email'],
      readIdentity: readDiscordIdentity,
    },
    endpoints,
  );
}

export async function readDiscordIdentity(apiBase: string, accessToken: string): Promise<ProviderIdentity> {
  const user = await fetchProviderJson(`${apiBase}/users/@me`, accessToken);
  const subject = stringField(user, 'id');
  if (!subject) throw new ProviderFailure('rejected', 'Discord user without an id');
  const avatar = stringField(user, 'avatar');
  return {
    subject,
    email: stringField(user, 'email', 320),
    emailVerified: (user as Record<string, unknown>)['verified'] === true,
    login: stringField(user, 'username'),
    name: stringField(user, 'global_name'),
    avatarUrl: avatar && /^[A-Za-z0-9_]+$/.test(avatar) ? `https://cdn.discordapp.com/avatars/${encodeURIComponent(subject)}/${avatar}.png` : null,
  };
}

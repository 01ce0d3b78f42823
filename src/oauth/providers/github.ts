// GitHub: the numeric user id is the subject; the email is the primary address from
// GET /user/emails (scope user:email), verified only when GitHub says so.
import type { OAuthProviderSettings, ProviderEndpoints } from '../../config/oauth-providers.ts';
import { oauth2Provider } from './oauth2.ts';
import { fetchProviderJson, stringField } from './provider-api.ts';
import { ProviderFailure, type OAuthProviderClient, type ProviderIdentity } from './types.ts';

const GITHUB_HEADERS = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' };

export function githubProvider(settings: OAuthProviderSettings, endpoints?: ProviderEndpoints): OAuthProviderClient {
  return oauth2Provider(
    settings,
    {
      authorizationEndpoint: 'https://github.com/login/oauth/authorize',
      tokenEndpoint: 'https://github.com/login/oauth/access_token',
      apiBase: 'https://api.github.com',
      scopes: ['read:user', 'user:email'],
      readIdentity: readGitHubIdentity,
    },
    endpoints,
  );
}

interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

export async function readGitHubIdentity(apiBase: string, accessToken: string): Promise<ProviderIdentity> {
  const user = await fetchProviderJson(`${apiBase}/user`, accessToken, GITHUB_HEADERS);
  const subject = stringField(user, 'id');
  if (!subject) throw new ProviderFailure('rejected', 'GitHub user without an id');
  // A GitHub App without the email permission is refused here (403/404): then only the profile address is known.
  const emails = await fetchProviderJson(`${apiBase}/user/emails`, accessToken, GITHUB_HEADERS).catch((error: unknown) => {
    if (error instanceof ProviderFailure && error.kind === 'rejected') return null;
    throw error;
  });
  const primary = primaryEmail(emails);
  return {
    subject,
    // Without a primary address in /user/emails, the public profile address, which GitHub does not vouch for here.
    email: primary?.email ?? stringField(user, 'email', 320),
    emailVerified: primary?.verified === true,
    login: stringField(user, 'login'),
    name: stringField(user, 'name'),
    avatarUrl: stringField(user, 'avatar_url', 2048),
  };
}

function primaryEmail(list: unknown): GitHubEmail | null {
  if (!Array.isArray(list)) return null;
  const entry = list.find((item): item is GitHubEmail => item?.primary === true && typeof item.email === 'string');
  return entry ?? null;
}

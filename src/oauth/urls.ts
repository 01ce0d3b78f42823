// Gatehouse's own OAuth URLs: the start URL handed to clients, the callback registered at each
// provider, and where a flow ends when no app URL was given.
import type { Config } from '../config/index.ts';

export const OAUTH_PATH = '/auth/oauth';

export function startUrl(config: Config, provider: string, startToken: string): string {
  return `${config.publicUrl}${OAUTH_PATH}/${provider}/start?flow=${encodeURIComponent(startToken)}`;
}

/** The redirect URI to register at the provider. */
export function callbackUri(config: Config, provider: string): string {
  return `${config.publicUrl}${OAUTH_PATH}/${provider}/callback`;
}

/** Gatehouse's own page saying how a flow ended, for deployments without an app URL. */
export function resultPageUrl(config: Config): string {
  return `${config.publicUrl}${OAUTH_PATH}/done`;
}

/** Where a flow ends when the app gave no allowed redirectTo: OAUTH_DEFAULT_REDIRECT, else the result page. */
export function defaultTarget(config: Config): string {
  return config.oauth.defaultRedirect ?? resultPageUrl(config);
}

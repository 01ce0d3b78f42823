// What every provider client offers the sign-in flow, whatever protocol it speaks underneath.
import type { OAuthProviderId } from '../../config/oauth-providers.ts';

/** The secrets of one authorization request; the flow stores them between start and callback. */
export interface AuthorizationRequest {
  state: string;
  codeVerifier: string;
  nonce: string;
  /** Gatehouse's callback URL for this provider, exactly as registered at the provider. */
  redirectUri: string;
}

/** Who the provider says signed in. `email` is null when it shares none. */
export interface ProviderIdentity {
  subject: string;
  email: string | null;
  /** True only when the provider states that it verified `email`. */
  emailVerified: boolean;
  login: string | null;
  name: string | null;
  avatarUrl: string | null;
}

export interface OAuthProviderClient {
  id: OAuthProviderId;
  name: string;
  authorizationUrl(request: AuthorizationRequest): Promise<URL>;
  /** Exchanges the code of the callback URL (PKCE verifier, nonce, state checked) and reads the identity. */
  identify(callbackUrl: URL, request: AuthorizationRequest): Promise<ProviderIdentity>;
}

/**
 * A provider could not be reached or answered with an error (`unavailable`), or refused the
 * exchange or gave an answer that did not validate (`rejected`: wrong code, PKCE mismatch…).
 */
export class ProviderFailure extends Error {
  readonly kind: 'unavailable' | 'rejected';
  constructor(kind: 'unavailable' | 'rejected', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}

/** Network failures and timeouts of fetch (undici): the provider is unreachable, not refusing. */
export function isNetworkFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return true;
  if (error instanceof TypeError && /fetch failed/i.test(error.message)) return true;
  return error.cause !== undefined && error.cause !== error && isNetworkFailure(error.cause);
}

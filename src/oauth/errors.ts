// OAuth failures. LastSignInMethodError is a typed GraphQL result; the callback's failures are
// codes the browser carries back to the app as `?error=<code>&error_description=<message>`.
import { DomainError } from '../errors.ts';

export class LastSignInMethodError extends DomainError {
  readonly code = 'LAST_SIGN_IN_METHOD';
  constructor(provider: string) {
    super(`${provider} is the only way to sign in to this account. Set a password (with a password reset link), add a passkey or link another provider first.`);
  }
}

/** Every way a start or callback can end badly, with the message shown for it. Stable: apps switch on them. */
export const OAUTH_ERROR_MESSAGES = {
  access_denied: 'The sign-in was cancelled at the provider.',
  provider_error: 'The provider reported an error. Try again.',
  unknown_provider: 'This sign-in provider is not configured.',
  invalid_state: 'This sign-in is unknown or was already used. Start again.',
  flow_expired: 'This sign-in took too long. Start again.',
  browser_mismatch: 'Finish the sign-in in the browser where you started it. Start again.',
  exchange_failed: 'The provider did not confirm the sign-in. Start again.',
  provider_unavailable: 'The provider could not be reached. Try again later.',
  email_required:
    'The provider shares no email address, so no account can be created. Add an email address at the provider, or register with email and password and link the provider afterwards.',
  account_exists:
    'An account with this email address already exists, and the provider has not verified the address. Sign in with your password, then link the provider from your account.',
  account_not_confirmed:
    'An account with this email address exists but the address is not confirmed. Use "forgot password" to set a password (the email also confirms the address), then sign in and link the provider.',
  email_not_confirmed: 'Confirm your email address with the link we sent, then sign in again.',
  account_disabled: 'This account is disabled.',
  account_banned: 'This account is suspended for now.',
  identity_in_use: 'This provider account is already linked to another account.',
  provider_already_linked: 'Another account of this provider is already linked. Unlink it first.',
  link_session_required: 'Sign in to this account in this browser, then link the provider again.',
  maintenance_mode: 'Sign-in is paused for maintenance. Try again later.',
  setup_required: 'This server has not been set up yet: sign-up opens once an administrator has claimed it.',
  rate_limited: 'Too many attempts. Wait a minute and try again.',
  server_error: 'Something went wrong. Try again.',
} as const;
export type OAuthErrorCode = keyof typeof OAUTH_ERROR_MESSAGES;

export function isOAuthErrorCode(value: string): value is OAuthErrorCode {
  return Object.hasOwn(OAUTH_ERROR_MESSAGES, value);
}

/** A start or callback that ends with an error code; `target` is the flow's destination when known. */
export class OAuthFlowError extends Error {
  readonly code: OAuthErrorCode;
  readonly target: string | null;
  constructor(code: OAuthErrorCode, target: string | null = null) {
    super(OAUTH_ERROR_MESSAGES[code]);
    this.code = code;
    this.target = target;
  }
}

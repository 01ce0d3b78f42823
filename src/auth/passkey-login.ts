// Signing in with a passkey alone (passwordless, usernameless): a passkey answers with user
// verification, so it is two factors in one (something held, and a PIN or biometric), and the
// session is created without a further second-factor step, whatever else the account has set up.
import type { RequestScope } from '../context.ts';
import { DomainError } from '../errors.ts';
import { AUDIT_ACTIONS, recordAudit } from '../audit/service.ts';
import { startPasskeyAssertion, verifyPasskeyAssertion } from '../passkeys/assertion.ts';
import { startSession, type LoginResult } from './service.ts';

export async function startPasskeyLogin(scope: RequestScope) {
  await scope.services.throttle.consumeIpBudget(scope.ip);
  return startPasskeyAssertion(scope);
}

/** Failures worth an audit line: a challenge problem or a malformed answer proves no attempt at an account. */
const AUDITED_FAILURES = new Set(['PASSKEY_REJECTED', 'ACCOUNT_DISABLED', 'EMAIL_NOT_CONFIRMED']);

export async function loginWithPasskey(scope: RequestScope, challengeId: string, response: string): Promise<LoginResult> {
  const { services } = scope;
  await services.throttle.consumeIpBudget(scope.ip);
  let verified;
  try {
    verified = await verifyPasskeyAssertion(scope, { challengeId, response });
  } catch (error) {
    if (error instanceof DomainError && AUDITED_FAILURES.has(error.code)) {
      services.logger.info({ requestId: scope.requestId, ip: scope.ip, reason: error.code }, 'passkey login failed');
      services.metrics.recordLogin('failure', 'passkey', error.code.toLowerCase());
      await recordAudit({ ...scope, viewer: null }, { action: AUDIT_ACTIONS.loginFailed, details: { method: 'passkey', reason: error.code.toLowerCase() } });
    }
    throw error;
  }
  const { user, passkey } = verified;
  return startSession(scope, user, { method: 'passkey', details: { method: 'passkey', passkeyId: passkey.id, passkeyName: passkey.name } });
}

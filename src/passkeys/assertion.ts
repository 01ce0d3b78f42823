// Proving possession of a passkey: the step a passwordless sign-in (auth/passkey-login.ts) and the
// second-factor step of a password sign-in both use. Start gives the options for
// `navigator.credentials.get` and a challenge id; verify checks the browser's answer and returns
// whose passkey answered, after updating its counter and last use.
import { lockoutError } from '../accounts/lockout.ts';
import { webauthn } from './library.ts';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { RequestScope } from '../context.ts';
import { relyingParty } from '../config/index.ts';
import { EmailNotConfirmedError, InvalidTokenError } from '../errors.ts';
import type { User } from '../accounts/entities.ts';
import { Passkey } from './entities.ts';
import { CHALLENGE_TTL_MS, consumeChallenge, saveChallenge } from './challenges.ts';
import { parseAuthenticationResponse } from './responses.ts';
import { PasskeyRejectedError } from './errors.ts';
import { listPasskeys, userHandleOf, type StartedCeremony } from './service.ts';

export type PasskeyAssertionScope = Pick<RequestScope, 'em' | 'services'>;

/**
 * Starts a sign-in by passkey. Without `userId`, any passkey of this relying party may answer
 * (discoverable credentials: usernameless, and conditional UI with `mediation: 'conditional'`);
 * with it, only that account's passkeys (the second-factor step: the password named the account).
 * User verification is required either way, so the passkey is itself two factors.
 */
export async function startPasskeyAssertion(
  scope: PasskeyAssertionScope,
  input: { userId?: string | null } = {},
): Promise<StartedCeremony<PublicKeyCredentialRequestOptionsJSON>> {
  const userId = input.userId ?? null;
  const passkeys = userId ? await listPasskeys(scope.em, userId) : [];
  if (userId && passkeys.length === 0) throw new PasskeyRejectedError('this account has no passkey.');
  const options = await (await webauthn()).generateAuthenticationOptions({
    rpID: relyingParty(scope.services.config).id,
    allowCredentials: passkeys.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports })),
    userVerification: 'required',
    timeout: CHALLENGE_TTL_MS,
  });
  const { challengeId, expiresAt } = await saveChallenge(scope.em, scope.services.clock, { challenge: options.challenge, purpose: 'authenticate', userId });
  return { challengeId, options, expiresAt };
}

export interface VerifiedPasskey {
  user: User;
  passkey: Passkey;
}

/**
 * Checks the answer to a challenge of `startPasskeyAssertion`: a single-use, unexpired challenge
 * started for `expectedUserId` (or for nobody, when absent); signed by a registered passkey of that
 * account, on one of the allowed origins for our RP id, with user verification, and a signature
 * counter that moved on (a cloned authenticator repeats one); the account enabled and, when
 * REQUIRE_EMAIL_CONFIRMATION is on, confirmed. Throws ValidationError (malformed answer, nothing
 * used up), INVALID_TOKEN / TOKEN_EXPIRED (the challenge), PASSKEY_REJECTED, ACCOUNT_DISABLED or
 * EMAIL_NOT_CONFIRMED.
 */
export async function verifyPasskeyAssertion(
  scope: PasskeyAssertionScope,
  input: { challengeId: string; response: string; expectedUserId?: string | null },
): Promise<VerifiedPasskey> {
  const { em, services } = scope;
  const response = parseAuthenticationResponse(input.response);
  const challenge = await consumeChallenge(em, services.clock, input.challengeId, 'authenticate');
  if (challenge.userId !== (input.expectedUserId ?? null)) throw new InvalidTokenError();

  const passkey = await em.findOne(Passkey, { credentialId: response.id }, { populate: ['user'] });
  if (!passkey || (challenge.userId && passkey.user.id !== challenge.userId)) {
    throw new PasskeyRejectedError(challenge.userId ? 'it is not one of this account’s passkeys.' : 'this passkey is not registered here (it may have been deleted).');
  }
  const handle = response.response.userHandle;
  if (handle && handle !== Buffer.from(userHandleOf(passkey.user.id)).toString('base64url')) {
    throw new PasskeyRejectedError('the passkey names another account.');
  }
  const rp = relyingParty(services.config);
  let verified;
  try {
    verified = await (await webauthn()).verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge.challenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.id,
      expectedType: 'webauthn.get',
      credential: { id: passkey.credentialId, publicKey: new Uint8Array(passkey.publicKey), counter: passkey.counter, transports: passkey.transports },
      requireUserVerification: true,
    });
  } catch (error) {
    throw new PasskeyRejectedError((error as Error).message);
  }
  if (!verified.verified) throw new PasskeyRejectedError('the signature did not verify.');

  // The account's state is told only to someone who proved they hold its passkey.
  const user = passkey.user;
  const locked = lockoutError(user, services.clock.now());
  if (locked) throw locked;
  if (services.config.requireEmailConfirmation && !user.emailConfirmedAt) throw new EmailNotConfirmedError();

  const { newCounter, credentialBackedUp } = verified.authenticationInfo;
  const now = services.clock.now();
  // Conditional on the counter still being below the new one: of two answers racing with one
  // counter value (a cloned authenticator), only one counts.
  const where = newCounter > 0 ? { id: passkey.id, counter: { $lt: newCounter } } : { id: passkey.id };
  const updated = await em.nativeUpdate(Passkey, where, { counter: newCounter, backedUp: credentialBackedUp, lastUsedAt: now });
  if (updated !== 1) throw new PasskeyRejectedError(`the signature counter ${newCounter} did not move on (a cloned authenticator?).`);
  Object.assign(passkey, { counter: newCounter, backedUp: credentialBackedUp, lastUsedAt: now });
  return { user, passkey };
}

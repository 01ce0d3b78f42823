// Registering and managing passkeys. Registration is two steps: the options the browser passes to
// `navigator.credentials.create`, then the credential it returns, verified against the stored
// challenge, the relying party's origins and id, and user verification. Passkeys are added and
// removed only with a session or password credential (never an access token), and their owner is emailed.
import { webauthn } from './library.ts';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/sql';
import type { RequestScope } from '../context.ts';
import { relyingParty } from '../config/index.ts';
import { forbidden, InvalidTokenError, notFound, unauthenticated, ValidationFailedError, type FieldProblem } from '../errors.ts';
import type { User } from '../accounts/entities.ts';
import { markCredentialsChanged } from '../accounts/credentials.ts';
import { recordAudit } from '../audit/service.ts';
import { passkeyChangedMessage } from '../mail/templates.ts';
import { SINGLE_LINE_MAX, singleLineProblem } from '../validation/text.ts';
import { Passkey } from './entities.ts';
import { CHALLENGE_TTL_MS, consumeChallenge, saveChallenge } from './challenges.ts';
import { parseRegistrationResponse } from './responses.ts';
import { PasskeyLimitError, PasskeyRejectedError } from './errors.ts';

export const MAX_PASSKEYS_PER_USER = 20;

/**
 * COSE algorithms accepted, most preferred first: ES256, EdDSA, RS256 (what authenticators make).
 * Not the library's default, which adds ML-DSA-44: Node's support for it is still experimental.
 */
export const SUPPORTED_ALGORITHM_IDS = [-7, -8, -257];

export const PASSKEY_AUDIT_ACTIONS = {
  register: 'passkey.register',
  rename: 'passkey.rename',
  delete: 'passkey.delete',
} as const;

/** A ceremony begun: the id to send back with the browser's answer, and the options for the browser. */
export interface StartedCeremony<Options> {
  challengeId: string;
  options: Options;
  expiresAt: Date;
}

/** The WebAuthn user handle: the account id's bytes (random, no personal data). */
export function userHandleOf(userId: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(userId);
}

/** The viewer, who must have signed in with a session or a password: an access token adds or removes no way into the account. */
function passkeyOwner(scope: RequestScope): User {
  const viewer = scope.viewer;
  if (!viewer) throw unauthenticated();
  if (!scope.credential || scope.credential.kind === 'token') {
    throw forbidden('Manage passkeys while signed in with a session (or a password), not with an access token.');
  }
  return viewer;
}

function nameProblems(name: string): FieldProblem[] {
  const problem = name.length === 0 ? 'Enter a name.' : singleLineProblem(name, SINGLE_LINE_MAX);
  return problem ? [{ field: 'name', messages: [problem] }] : [];
}

export async function listPasskeys(em: EntityManager, userId: string): Promise<Passkey[]> {
  return em.find(Passkey, { user: userId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
}

export async function countPasskeys(em: EntityManager, userId: string): Promise<number> {
  return em.count(Passkey, { user: userId });
}

/** Step 1: options for `navigator.credentials.create` (a discoverable credential, user verification required). */
export async function startPasskeyRegistration(scope: RequestScope): Promise<StartedCeremony<PublicKeyCredentialCreationOptionsJSON>> {
  const user = passkeyOwner(scope);
  const existing = await listPasskeys(scope.em, user.id);
  if (existing.length >= MAX_PASSKEYS_PER_USER) throw new PasskeyLimitError(MAX_PASSKEYS_PER_USER);
  const rp = relyingParty(scope.services.config);
  const options = await (await webauthn()).generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userID: userHandleOf(user.id),
    userName: user.email,
    userDisplayName: user.displayName ?? user.email,
    timeout: CHALLENGE_TTL_MS,
    attestationType: 'none',
    supportedAlgorithmIDs: SUPPORTED_ALGORITHM_IDS,
    // The browser refuses to make a second passkey on an authenticator that already holds one.
    excludeCredentials: existing.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports })),
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
  });
  const { challengeId, expiresAt } = await saveChallenge(scope.em, scope.services.clock, { challenge: options.challenge, purpose: 'register', userId: user.id });
  return { challengeId, options, expiresAt };
}

/** Step 2: verifies the new credential and stores it under `name`. */
export async function finishPasskeyRegistration(scope: RequestScope, input: { challengeId: string; response: string; name: string }): Promise<Passkey> {
  const user = passkeyOwner(scope);
  const { em, services } = scope;
  const name = input.name.trim();
  const problems = nameProblems(name);
  let response;
  try {
    response = parseRegistrationResponse(input.response);
  } catch (error) {
    if (!(error instanceof ValidationFailedError)) throw error;
    problems.push(...error.fields);
  }
  if (problems.length || !response) throw new ValidationFailedError(problems);

  const challenge = await consumeChallenge(em, services.clock, input.challengeId, 'register');
  // Another account's challenge is as good as none to this viewer.
  if (challenge.userId !== user.id) throw new InvalidTokenError();
  const rp = relyingParty(services.config);
  let verified;
  try {
    verified = await (await webauthn()).verifyRegistrationResponse({
      response,
      expectedChallenge: challenge.challenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.id,
      expectedType: 'webauthn.create',
      requireUserVerification: true,
      supportedAlgorithmIDs: SUPPORTED_ALGORITHM_IDS,
    });
  } catch (error) {
    throw new PasskeyRejectedError((error as Error).message);
  }
  if (!verified.verified) throw new PasskeyRejectedError('the registration did not verify.');
  const info = verified.registrationInfo;
  if (await countPasskeys(em, user.id) >= MAX_PASSKEYS_PER_USER) throw new PasskeyLimitError(MAX_PASSKEYS_PER_USER);

  const now = services.clock.now();
  const passkey = em.create(
    Passkey,
    {
      user: user.id,
      credentialId: info.credential.id,
      publicKey: Buffer.from(info.credential.publicKey),
      counter: info.credential.counter,
      transports: (info.credential.transports ?? []).slice(0, 10),
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
      name,
      createdAt: now,
      lastUsedAt: null,
    },
    { persist: false },
  );
  try {
    await em.insert(passkey);
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw new PasskeyRejectedError('this passkey is registered already.');
    throw error;
  }
  await markCredentialsChanged(em, user.id, now);
  await recordAudit(scope, { action: PASSKEY_AUDIT_ACTIONS.register, targetType: 'passkey', targetId: passkey.id, details: { name, userId: user.id } });
  notifyOwner(scope, user, 'added', name);
  return passkey;
}

async function ownPasskey(scope: RequestScope, userId: string, id: string): Promise<Passkey> {
  const passkey = /^[0-9a-f-]{36}$/.test(id) ? await scope.em.findOne(Passkey, { id, user: userId }) : null;
  if (!passkey) throw notFound('Passkey');
  return passkey;
}

export async function renamePasskey(scope: RequestScope, id: string, newName: string): Promise<Passkey> {
  const user = passkeyOwner(scope);
  const passkey = await ownPasskey(scope, user.id, id);
  const name = newName.trim();
  const problems = nameProblems(name);
  if (problems.length) throw new ValidationFailedError(problems);
  const previous = passkey.name;
  passkey.name = name;
  await scope.em.flush();
  await recordAudit(scope, { action: PASSKEY_AUDIT_ACTIONS.rename, targetType: 'passkey', targetId: passkey.id, details: { from: previous, to: name, userId: user.id } });
  return passkey;
}

export async function deletePasskey(scope: RequestScope, id: string): Promise<{ id: string; name: string }> {
  const user = passkeyOwner(scope);
  const passkey = await ownPasskey(scope, user.id, id);
  if ((await scope.em.nativeDelete(Passkey, { id: passkey.id, user: user.id })) !== 1) throw notFound('Passkey');
  await markCredentialsChanged(scope.em, user.id, scope.services.clock.now());
  await recordAudit(scope, { action: PASSKEY_AUDIT_ACTIONS.delete, targetType: 'passkey', targetId: passkey.id, details: { name: passkey.name, userId: user.id } });
  notifyOwner(scope, user, 'removed', passkey.name);
  return { id: passkey.id, name: passkey.name };
}

function notifyOwner(scope: RequestScope, user: User, change: 'added' | 'removed', name: string): void {
  const message = passkeyChangedMessage(user.email, change, name);
  scope.services.background.run(`passkey ${change} email`, () => scope.services.mailer.send(message));
}

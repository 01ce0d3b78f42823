// Second-factor failures a form shows (typed results).
import { DomainError } from '../errors.ts';

/** A TOTP or recovery code that is wrong, already used, or outside the accepted time window. */
export class InvalidCodeError extends DomainError {
  readonly code = 'INVALID_CODE';
  constructor(message = 'The code is wrong or was already used.') {
    super(message);
  }
}

export class TotpAlreadyEnabledError extends DomainError {
  readonly code = 'TOTP_ALREADY_ENABLED';
  constructor() {
    super('An authenticator app is already set up. Turn it off first to set up another one.');
  }
}

export class TotpNotEnrolledError extends DomainError {
  readonly code = 'TOTP_NOT_ENROLLED';
  constructor() {
    super('No authenticator app is being set up: call enrollTotp first.');
  }
}

export class NoSecondFactorError extends DomainError {
  readonly code = 'NO_SECOND_FACTOR';
  constructor() {
    super('The account has no second factor: recovery codes come with one.');
  }
}

/**
 * Not a failure of the password: the sign-in needs its second step. `login` answers it (as a result,
 * so a client that only knows `... on Error` shows the message instead of believing it is signed in).
 */
export class SecondFactorRequiredError extends DomainError {
  readonly code = 'SECOND_FACTOR_REQUIRED';
  readonly challenge: string;
  readonly expiresAt: Date;
  readonly factors: readonly string[];
  readonly passkey: { challengeId: string; options: object; expiresAt: Date } | null;
  constructor(challenge: { challenge: string; expiresAt: Date; factors: readonly string[]; passkey: SecondFactorRequiredError['passkey'] }) {
    super('Confirm it is you with your second factor (authenticator app, passkey or a recovery code) to finish signing in.');
    this.challenge = challenge.challenge;
    this.expiresAt = challenge.expiresAt;
    this.factors = challenge.factors;
    this.passkey = challenge.passkey;
  }
}

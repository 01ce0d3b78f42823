// Passkey failures a client can act on (typed results). An unknown, used or mismatched challenge is
// INVALID_TOKEN and a late one TOKEN_EXPIRED, as for every other single-use token.
import { DomainError } from '../errors.ts';

/** The browser's answer did not verify: wrong origin or RP id, no user verification, a cloned authenticator, an unknown passkey… */
export class PasskeyRejectedError extends DomainError {
  readonly code = 'PASSKEY_REJECTED';
  constructor(reason: string) {
    super(`The passkey was not accepted: ${reason}`);
  }
}

export class PasskeyLimitError extends DomainError {
  readonly code = 'PASSKEY_LIMIT_REACHED';
  constructor(max: number) {
    super(`An account can have at most ${max} passkeys. Delete one first.`);
  }
}

// Organization failures a form shows (typed results).
import { DomainError, OwnerRequiredError } from '../errors.ts';

export { OwnerRequiredError };

export class AlreadyMemberError extends DomainError {
  readonly code = 'ALREADY_MEMBER';
  constructor() {
    super('You are already a member of this organization.');
  }
}

/** The invitation was sent to another address than the signed-in account's. */
export class InvitationEmailMismatchError extends DomainError {
  readonly code = 'INVITATION_EMAIL_MISMATCH';
  constructor() {
    super('This invitation was sent to another email address: sign in with the account of that address (or create one with it), then accept.');
  }
}

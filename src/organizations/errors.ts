// Organization failures a form shows (typed results).
import { DomainError } from '../errors.ts';

/** The change would leave the organization without its owner: transfer ownership first. */
export class OwnerRequiredError extends DomainError {
  readonly code = 'OWNER_REQUIRED';
  constructor(message = 'An organization always has an owner: transfer ownership to another member first.') {
    super(message);
  }
}

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

// The MFA policy (MFA_REQUIRED_ROLES): a holder of such a role without a second factor can sign in,
// but every operation other than setting one up answers MFA_ENROLLMENT_REQUIRED, over HTTP, SSE and
// WebSocket alike. Checked once the context exists, before any resolver.
import type { Plugin } from 'graphql-yoga';
import type { Context, RequestScope } from '../context.ts';
import type { User } from '../accounts/entities.ts';
import { AccessError } from '../errors.ts';
import { onlyRootFields, operationGate, type GatedOperation } from '../http/operation-gate.ts';
import { hasSecondFactor } from './service.ts';
import { userAccessSummary } from '../accounts/roles.ts';

/** What a holder who must enroll may still do: see themselves, set up a factor, step up, sign out. */
export const ENROLLMENT_ALLOWED_FIELDS: ReadonlySet<string> = new Set([
  'Query.viewer',
  'Query.maintenance',
  'Query.setupStatus',
  'Query.validatePassword',
  'Mutation.logout',
  'Mutation.enrollTotp',
  'Mutation.confirmTotp',
  'Mutation.startPasskeyRegistration',
  'Mutation.finishPasskeyRegistration',
  'Mutation.reauthenticate',
  'Mutation.startPasskeyReauthentication',
  'Subscription.maintenanceModeChanged',
  'Subscription.viewerSessionEnded',
]);

export function mfaEnrollmentError(roles: string[]): AccessError {
  return new AccessError(
    'MFA_ENROLLMENT_REQUIRED',
    `Your role${roles.length > 1 ? 's' : ''} (${roles.join(', ')}) require${roles.length > 1 ? '' : 's'} a second factor: set up an authenticator app (enrollTotp) or a passkey first.`,
    { roles },
  );
}

export function mfaEnrollmentGatePlugin(): Plugin {
  /** Null at once without a policy, a viewer, or for an allowed operation; the database decides the rest. */
  function refusal(args: GatedOperation): AccessError | null | Promise<AccessError | null> {
    const ctx = args.contextValue as Context;
    const required = ctx.services.config.mfa.requiredRoles;
    const viewer = ctx.viewer;
    if (required.length === 0 || !viewer) return null;
    if (onlyRootFields(args, ENROLLMENT_ALLOWED_FIELDS)) return null;
    return enrollmentRefusal(ctx, viewer, required);
  }
  return operationGate(refusal);
}

/** MFA_ENROLLMENT_REQUIRED for a viewer who holds a required role and has no second factor, else null (HTTP pages ask too). */
export async function mfaEnrollmentRefusal(scope: RequestScope): Promise<AccessError | null> {
  const required = scope.services.config.mfa.requiredRoles;
  return required.length === 0 || !scope.viewer ? null : enrollmentRefusal(scope, scope.viewer, required);
}

async function enrollmentRefusal(scope: RequestScope, viewer: User, required: readonly string[]): Promise<AccessError | null> {
  // The account's own roles, not a restricted token's narrowed view: the policy is about the person.
  const roles =
    scope.loadAccess.restrictedUserId === viewer.id
      ? new Set((await userAccessSummary(scope, viewer)).roles.map((role) => role.name))
      : (await scope.loadAccess(viewer)).roles;
  const held = required.filter((role) => roles.has(role));
  if (held.length === 0 || (await hasSecondFactor(scope, viewer.id))) return null;
  return mfaEnrollmentError(held);
}

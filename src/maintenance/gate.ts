// The maintenance gate (an envelop plugin): while maintenance mode is on, an operation of anyone
// without `maintenance:write` (admins hold it) is refused with MAINTENANCE_MODE before any
// resolver runs, unless every root field it selects is on the allow-list. It hooks execute and
// subscribe, which HTTP, SSE and graphql-ws all go through; the state comes from memory.
import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { viewerAccess, type Context, type Services } from '../context.ts';
import { AccessError } from '../errors.ts';
import { onlyRootFields, operationGate } from '../http/operation-gate.ts';
import { PERMISSIONS } from '../access/declarations.ts';
import type { MaintenanceState } from './service.ts';

/** Root fields anyone may use during maintenance, as `Type.field`. */
export const MAINTENANCE_ALLOWED_FIELDS: ReadonlySet<string> = new Set([
  'Query.maintenance',
  'Query.viewer',
  'Query.setupStatus',
  'Mutation.login',
  // The second step of a sign-in (an admin with a second factor signs in during maintenance too).
  'Mutation.verifySecondFactor',
  'Mutation.logout',
  // Signing in through a provider, like `login`: the callback itself lets only those who may run maintenance in.
  'Query.oauthProviders',
  'Mutation.startOAuthLogin',
  'Mutation.completeOAuthLogin',
  // Signing in with a passkey, like `login`.
  'Mutation.startPasskeyLogin',
  'Mutation.finishPasskeyLogin',
  'Subscription.maintenanceModeChanged',
  // Only tells a signed-in client that its credentials ended (it may sign out during maintenance too).
  'Subscription.viewerSessionEnded',
]);


interface OperationArgs {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null | undefined;
  contextValue?: unknown;
}

export function maintenanceGatePlugin(): Plugin {
  /** Null at once when maintenance is off or the operation is allowed; a promise only when the viewer's permissions decide. */
  function refusal(args: OperationArgs): AccessError | null | Promise<AccessError | null> {
    const ctx = args.contextValue as Context;
    const state = ctx.services.maintenance.current;
    if (!state.enabled) return null;
    if (isAllowedDuringMaintenance(args)) return null;
    return viewerAccess(ctx).then((access) => (access.can(PERMISSIONS.maintenanceWrite) ? null : maintenanceError(state)));
  }
  return operationGate(refusal);
}

export function maintenanceError(state: MaintenanceState): AccessError {
  return new AccessError(
    'MAINTENANCE_MODE',
    state.message ?? 'Gatehouse is in maintenance mode. Try again later.',
    { message: state.message, endsAt: state.endsAt?.toISOString() ?? null },
    503,
  );
}

/** MAINTENANCE_MODE while maintenance is on, else null: what a write outside GraphQL by nobody signed in gets. */
export function anonymousMaintenanceRefusal(services: Pick<Services, 'maintenance'>): AccessError | null {
  const state = services.maintenance.current;
  return state.enabled ? maintenanceError(state) : null;
}

/** Why a write outside GraphQL (an HTTP page) is refused now, like a gated mutation, or null. */
export async function maintenanceRefusal(scope: Pick<Context, 'services' | 'viewer' | 'loadAccess'>): Promise<AccessError | null> {
  const refusal = anonymousMaintenanceRefusal(scope.services);
  if (!refusal) return null;
  return (await viewerAccess(scope)).can(PERMISSIONS.maintenanceWrite) ? null : refusal;
}

/** True when every root field the operation selects (through fragments too) is allow-listed. */
export function isAllowedDuringMaintenance(args: OperationArgs): boolean {
  return onlyRootFields(args, MAINTENANCE_ALLOWED_FIELDS);
}

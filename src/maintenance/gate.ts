// The maintenance gate (an envelop plugin): while maintenance mode is on, an operation of anyone
// without `maintenance:write` (admins hold it) is refused with MAINTENANCE_MODE before any
// resolver runs, unless every root field it selects is on the allow-list. It hooks execute and
// subscribe, which HTTP, SSE and graphql-ws all go through; the state comes from memory.
import {
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { viewerAccess, type Context } from '../context.ts';
import { AccessError } from '../errors.ts';
import { operationGate } from '../http/operation-gate.ts';
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

const INTROSPECTION_FIELDS = new Set(['__typename', '__schema', '__type']);

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

/** True when every root field the operation selects (through fragments too) is allow-listed. */
export function isAllowedDuringMaintenance(args: OperationArgs): boolean {
  const operation = selectedOperation(args.document, args.operationName);
  if (!operation) return false;
  const rootType = args.schema.getRootType(operation.operation);
  if (!rootType) return false;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of args.document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  // @skip/@include are ignored: a blocked field counts even when a variable would skip it.
  return rootFieldNames(operation.selectionSet, fragments, new Set()).every(
    (name) => INTROSPECTION_FIELDS.has(name) || MAINTENANCE_ALLOWED_FIELDS.has(`${rootType.name}.${name}`),
  );
}

function selectedOperation(document: DocumentNode, operationName: string | null | undefined): OperationDefinitionNode | null {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operationName) return operations.find((o) => o.name?.value === operationName) ?? null;
  return operations.length === 1 ? operations[0]! : null;
}

function rootFieldNames(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, seen: Set<string>): string[] {
  const names: string[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) names.push(selection.name.value);
    else if (selection.kind === Kind.INLINE_FRAGMENT) names.push(...rootFieldNames(selection.selectionSet, fragments, seen));
    else if (selection.kind === Kind.FRAGMENT_SPREAD && !seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = fragments.get(selection.name.value);
      // An unknown fragment fails validation; counting it as blocked keeps the gate closed regardless.
      if (!fragment) names.push(`...${selection.name.value}`);
      else names.push(...rootFieldNames(fragment.selectionSet, fragments, seen));
    }
  }
  return names;
}

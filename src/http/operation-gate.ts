// A gate on every operation once its context exists (HTTP, SSE and WebSocket alike): `refusal`
// answers why an operation may not run, and the operation then ends with that error and no data.
import type { Plugin } from 'graphql-yoga';
import { Kind, type DocumentNode, type FragmentDefinitionNode, type GraphQLError, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { AccessError } from '../errors.ts';
import { toGraphQLError } from './errors.ts';

export interface GatedOperation {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null | undefined;
  contextValue?: unknown;
}

/**
 * `refusal` answers synchronously when it can (null: the operation may run). The hooks then return
 * nothing: an async hook makes envelop wait a microtask turn and allocate promises on every
 * operation, for a gate that is open almost always.
 */
export function operationGate(
  refusal: (args: GatedOperation) => AccessError | null | Promise<AccessError | null>,
): Pick<Plugin, 'onExecute' | 'onSubscribe'> {
  function gate({ args, setResultAndStopExecution }: { args: GatedOperation; setResultAndStopExecution: (result: { errors: GraphQLError[] }) => void }) {
    const refused = (error: AccessError | null) => {
      if (error) setResultAndStopExecution({ errors: [toGraphQLError(error)] });
    };
    const answer = refusal(args);
    if (answer instanceof Promise) return answer.then(refused);
    refused(answer);
    return undefined;
  }
  return { onExecute: gate, onSubscribe: gate };
}

const INTROSPECTION_FIELDS = new Set(['__typename', '__schema', '__type']);

/**
 * True when every root field the operation selects (through fragments too) is in `allowed`
 * (`Type.field`); introspection fields always are. Gates use it for their allow-lists.
 */
export function onlyRootFields(args: GatedOperation, allowed: ReadonlySet<string>): boolean {
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
    (name) => INTROSPECTION_FIELDS.has(name) || allowed.has(`${rootType.name}.${name}`),
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

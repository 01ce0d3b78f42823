// A gate on every operation once its context exists (HTTP, SSE and WebSocket alike): `refusal`
// answers why an operation may not run, and the operation then ends with that error and no data.
import type { Plugin } from 'graphql-yoga';
import type { DocumentNode, GraphQLError, GraphQLSchema } from 'graphql';
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

// A gate on every operation once its context exists (HTTP, SSE and WebSocket alike): `refusal`
// answers why an operation may not run, and the operation then ends with that error and no data.
import type { Plugin } from 'graphql-yoga';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { AccessError } from '../errors.ts';
import { toGraphQLError } from './errors.ts';

export interface GatedOperation {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null | undefined;
  contextValue?: unknown;
}

export function operationGate(refusal: (args: GatedOperation) => Promise<AccessError | null>): Pick<Plugin, 'onExecute' | 'onSubscribe'> {
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const error = await refusal(args);
      if (error) setResultAndStopExecution({ errors: [toGraphQLError(error)] });
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      const error = await refusal(args);
      if (error) setResultAndStopExecution({ errors: [toGraphQLError(error)] });
    },
  };
}

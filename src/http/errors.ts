// Error formatting: access errors keep their code (and HTTP status), expected GraphQL errors pass
// through, and anything unexpected is logged and replaced by a generic message (no stack, no SQL).
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { AccessError } from '../errors.ts';

export function toGraphQLError(error: AccessError): GraphQLError {
  return new GraphQLError(error.message, {
    originalError: error,
    extensions: {
      code: error.code,
      ...error.extensions,
      ...(error.httpStatus ? { http: { status: error.httpStatus } } : {}),
    },
  });
}

export function createErrorMasker(logger: Logger) {
  return (error: unknown): Error => {
    const original = error instanceof GraphQLError ? error.originalError : error;
    if (original instanceof AccessError) {
      const mapped = toGraphQLError(original);
      return error instanceof GraphQLError
        ? new GraphQLError(mapped.message, { nodes: error.nodes, path: error.path, originalError: original, extensions: mapped.extensions })
        : mapped;
    }
    // Errors graphql-js or yoga raised about the request itself (syntax, validation, variables).
    if (error instanceof GraphQLError && (!original || original instanceof GraphQLError)) return error;
    logger.error({ err: original }, 'unexpected error');
    return new GraphQLError('Unexpected error.', {
      nodes: error instanceof GraphQLError ? error.nodes : undefined,
      path: error instanceof GraphQLError ? error.path : undefined,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  };
}


// Makes every failure to read GraphQL parameters from a request a 400 (yoga plugin). Yoga's own
// parsers answer some malformed requests with a 200 (multipart without "operations", a "map" that
// is not JSON) or an unexpected error (GET or form `variables` that are not JSON, a multipart map
// of the wrong shape). A request the server cannot read is the client's fault, never a 5xx.
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { GraphQLError } from 'graphql';

type RequestParser = (request: Request) => unknown;

function hasHttpStatus(error: unknown): boolean {
  return error instanceof GraphQLError && typeof (error.extensions['http'] as { status?: unknown } | undefined)?.status === 'number';
}

/** The client went away while its body was read: nothing to answer, yoga handles it as such. */
function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

function asBadRequest(error: unknown): unknown {
  if (hasHttpStatus(error) || isAbort(error)) return error;
  // Yoga's own messages describe the problem; anything else (a JSON.parse or TypeError message)
  // would describe our parser rather than the request.
  const message = error instanceof GraphQLError ? error.message : 'The request parameters could not be read (variables and extensions must be JSON objects).';
  return createGraphQLError(message, { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
}

export function requestParsingPlugin(): Plugin {
  return {
    onRequestParse({ requestParser, setRequestParser }) {
      if (!requestParser) return;
      const parse = requestParser as RequestParser;
      setRequestParser((async (request: Request) => {
        try {
          return await parse(request);
        } catch (error) {
          throw asBadRequest(error);
        }
      }) as typeof requestParser);
    },
  };
}

// Size limits on GraphQL documents (graphql-armor, and a nesting limit of our own), shared by HTTP
// and WebSocket operations.
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { GraphQLError, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config/index.ts';

/**
 * Deeper than any real document: selections stop at depth 10 and GraphiQL's introspection query
 * nests about a dozen brackets. graphql-js parses recursively, several stack frames per level.
 */
export const MAX_DOCUMENT_NESTING = 64;

/**
 * Reports a limit violation as an ordinary validation error. Armor's default (throwing from inside
 * validation) escapes yoga's validation handling: the client got a 200 without a code instead of
 * a 400, and over WebSocket the throw broke the subscription handshake.
 */
function reportAsValidationError(context: ValidationContext | null, error: GraphQLError): void {
  context?.reportError(
    new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
  );
}

const reported = { propagateOnRejection: false, onReject: [reportAsValidationError] };

export function graphqlLimitsPlugin(config: Config) {
  const limits: Parameters<typeof EnvelopArmorPlugin>[0] = {
    // A parse error (already a 400). It bounds the work of parsing, but not its stack: 1,000
    // nested list brackets, well under 2,000 tokens, overflowed it (see documentNestingPlugin).
    maxTokens: { n: 2000 },
    maxDepth: { n: 10, ignoreIntrospection: true, flattenFragments: true, ...reported },
    maxAliases: { n: 30, ...reported },
    maxDirectives: { n: 20, ...reported },
    costLimit: { maxCost: 5000, ...reported },
    blockFieldSuggestion: { enabled: config.env === 'production' },
  };
  return EnvelopArmorPlugin(limits);
}

/** The deepest nesting of {, [ and ( in a GraphQL document, outside strings and comments. */
export function documentNesting(document: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < document.length; i++) {
    const c = document[i];
    if (c === '#') {
      while (i < document.length && document[i] !== '\n' && document[i] !== '\r') i++;
    } else if (c === '"') {
      i = endOfString(document, i);
    } else if (c === '{' || c === '[' || c === '(') {
      deepest = Math.max(deepest, ++depth);
    } else if (c === '}' || c === ']' || c === ')') {
      depth = Math.max(0, depth - 1);
    }
  }
  return deepest;
}

/** The index of the closing quote of the string starting at `start` (or the end of the text). */
function endOfString(document: string, start: number): number {
  if (document.startsWith('"""', start)) {
    for (let i = start + 3; i < document.length; i++) {
      if (document[i] === '\\' && document.startsWith('"""', i + 1)) i += 3;
      else if (document.startsWith('"""', i)) return i + 2;
    }
    return document.length;
  }
  for (let i = start + 1; i < document.length; i++) {
    if (document[i] === '\\') i++;
    else if (document[i] === '"' || document[i] === '\n') return i;
  }
  return document.length;
}

const tooDeep = () =>
  new GraphQLError(`Syntax Error: The document is nested more than ${MAX_DOCUMENT_NESTING} levels deep.`);

/**
 * Refuses documents nested deeper than MAX_DOCUMENT_NESTING before graphql-js parses them, so a
 * stack overflow cannot happen (it was answered as a 500). Registered after graphql-armor, it
 * wraps armor's token-counting parser. Thrown here, the error is a parse error: a 400.
 */
export function documentNestingPlugin(): Plugin {
  return {
    onParse({ parseFn, setParseFn }) {
      setParseFn((source, options) => {
        const text = typeof source === 'string' ? source : source.body;
        if (documentNesting(text) > MAX_DOCUMENT_NESTING) throw tooDeep();
        try {
          return parseFn(source, options);
        } catch (error) {
          // Should the limit above ever be raised too far, an overflow is still the document's fault.
          if (error instanceof RangeError) throw tooDeep();
          throw error;
        }
      });
    },
  };
}

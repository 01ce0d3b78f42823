// The console's only way to the server: posts a typed document (generated from console/operations/)
// to /graphql on the same origin, with the session cookie and the CSRF header the server asks of
// cookie-authenticated requests (src/http/csrf.ts). A top-level error becomes an ApiError carrying
// the server's message and code; results of mutations (… on Error) are returned for the page to show.
// While signed in, the shell is told of any UNAUTHENTICATED answer (the session ended meanwhile).
import type { TypedDocumentString } from './generated/graphql.ts';

/** What is wrong with one input field (a ValidationError's `fields`). */
export interface FieldProblem {
  field: string;
  messages: string[];
}

export class ApiError extends Error {
  readonly code: string | undefined;
  /** For VALIDATION_FAILED: the problems by input field, for the form to show beside each field. */
  readonly fields: readonly FieldProblem[];
  constructor(message: string, code?: string, fields: readonly FieldProblem[] = []) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.fields = fields;
  }
}

let unauthenticated: (() => void) | null = null;

/** Called (by the signed-in shell) when a request answers UNAUTHENTICATED; null stops it. */
export function onUnauthenticated(handler: (() => void) | null): void {
  unauthenticated = handler;
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

export async function request<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  ...[variables]: TVariables extends Record<string, never> ? [] : [TVariables]
): Promise<TResult> {
  let response: Response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        'x-gatehouse-csrf': '1',
      },
      body: JSON.stringify({ query: document.toString(), variables: variables ?? {} }),
    });
  } catch {
    throw new ApiError('The server cannot be reached. Check your connection and try again.', 'NETWORK');
  }
  let body: GraphQLResponse<TResult>;
  try {
    body = (await response.json()) as GraphQLResponse<TResult>;
  } catch {
    throw new ApiError(`The server answered ${response.status} without a GraphQL response.`, 'BAD_RESPONSE');
  }
  const first = body.errors?.[0];
  if (first) {
    if (first.extensions?.code === 'UNAUTHENTICATED') unauthenticated?.();
    throw new ApiError(first.message, first.extensions?.code);
  }
  if (body.data == null) throw new ApiError(`The server answered ${response.status} without data.`, 'BAD_RESPONSE');
  return body.data;
}

/** The message to show for anything a request threw. */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

type Outcome = { __typename: string; code?: string; message?: string; fields?: FieldProblem[] } | null | undefined;

/**
 * The member of a mutation's result union the page wants, or a thrown ApiError with the server's
 * typed error (`… on Error { code message }`, with a ValidationError's `fields`); a null result
 * (refused field) is an error too.
 */
export function expect<T extends NonNullable<Outcome>, N extends T['__typename']>(result: T | null | undefined, typename: N): Extract<T, { __typename: N }> {
  if (!result) throw new ApiError('The server refused the request.', 'REFUSED');
  if (result.__typename === typename) return result as Extract<T, { __typename: N }>;
  throw new ApiError(result.message ?? `The server answered ${result.__typename}.`, result.code, result.fields);
}

// Trusted documents (persisted operations, yoga plugin): with TRUSTED_DOCUMENTS set, a client names
// a document of the manifest by its SHA-256 (extensions.persistedQuery.sha256Hash) instead of
// sending it, and only admins may run documents outside the manifest, so GraphiQL keeps working
// for them. Hashes are resolved before parsing (@graphql-yoga/plugin-persisted-operations over
// HTTP, socketOperationDocument over graphql-ws). Who the viewer is is known only once the context
// exists, so other documents are refused on execute and subscribe, which HTTP, SSE and graphql-ws
// all go through.
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { GraphQLError, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { viewerAccess, type Context } from '../context.ts';
import { AccessError } from '../errors.ts';
import { toGraphQLError } from './errors.ts';
import { operationGate } from './operation-gate.ts';
import { normalizeHash, sha256Hex, type TrustedDocuments } from '../config/trusted-documents.ts';

/** The parameters of an operation as a client sent them (HTTP body or graphql-ws payload), unchecked. */
interface SentParams {
  query?: unknown;
  extensions?: unknown;
}

/** The hash in `extensions.persistedQuery` (Apollo's form, version 1), normalised; null when absent. */
export function persistedHash(params: SentParams): string | null {
  const extensions = params.extensions;
  if (extensions === null || typeof extensions !== 'object') return null;
  const persisted = (extensions as { persistedQuery?: unknown }).persistedQuery;
  if (persisted === null || typeof persisted !== 'object') return null;
  const { version, sha256Hash } = persisted as { version?: unknown; sha256Hash?: unknown };
  return version === 1 && typeof sha256Hash === 'string' ? normalizeHash(sha256Hash) : null;
}

const sentDocument = (params: SentParams): string | null => (typeof params.query === 'string' && params.query !== '' ? params.query : null);

/** A document sent together with a hash must be the document of that hash. */
function mismatch(params: SentParams, httpStatus?: number): AccessError | null {
  const hash = persistedHash(params);
  const document = sentDocument(params);
  if (hash === null || document === null || sha256Hex(document) === hash) return null;
  return new AccessError(
    'PERSISTED_QUERY_MISMATCH',
    'The document sent is not the one its hash (extensions.persistedQuery.sha256Hash) names. Send the hash alone.',
    {},
    httpStatus,
  );
}

const notFound = (httpStatus?: number) =>
  new AccessError('PERSISTED_QUERY_NOT_FOUND', 'No trusted document has this hash (extensions.persistedQuery.sha256Hash).', {}, httpStatus);

export const trustedDocumentRequired = () =>
  new AccessError(
    'TRUSTED_DOCUMENT_REQUIRED',
    'This server runs trusted documents only: send the hash of a document from its manifest (extensions.persistedQuery.sha256Hash).',
    {},
    403,
  );

/** A document is trusted when its text is one of the manifest's (sent whole, or named by its hash). */
export function isTrustedDocument(trusted: TrustedDocuments, document: DocumentNode): boolean {
  const text = document.loc?.source.body;
  return text !== undefined && trusted.documents.has(text);
}

/** `trusted`: TRUSTED_DOCUMENTS with the console's (src/console/http.ts withConsoleDocuments); null allows any. */
export function trustedDocumentsPlugin(trusted: TrustedDocuments | null): Plugin {
  if (!trusted) return {};

  const refusal = (args: { document: DocumentNode; contextValue?: unknown }): AccessError | null | Promise<AccessError | null> => {
    if (isTrustedDocument(trusted, args.document)) return null;
    return viewerAccess(args.contextValue as Context).then((access) => (access.isAdmin ? null : trustedDocumentRequired()));
  };

  return {
    onPluginInit({ addPlugin }) {
      // Added right after this plugin, so the mismatch check below runs first.
      addPlugin(
        usePersistedOperations({
          // Sent documents reach refusal() below: whether the viewer is an admin is not known yet.
          allowArbitraryOperations: true,
          extractPersistedOperationId: (params) => persistedHash(params),
          getPersistedOperation: (hash) => trusted.byHash.get(hash) ?? null,
          customErrors: {
            notFound: () => toGraphQLError(notFound(400)),
            keyNotFound: () =>
              new GraphQLError('Send a document (query) or the hash of a trusted one (extensions.persistedQuery.sha256Hash).', {
                extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
              }),
          },
        }),
      );
    },
    onParams({ params }) {
      // The persisted-operations plugin would run a sent document and ignore the hash beside it.
      const error = mismatch(params, 400);
      if (error) throw toGraphQLError(error);
    },
    ...operationGate(refusal),
  };
}

/**
 * The document text a graphql-ws operation runs: its query, or (query "" and a hash) the trusted
 * document the hash names. The graphql-ws protocol requires `query` to be a string.
 * Throws a GraphQLError for an unknown hash or a document that is not its hash's.
 */
export function socketOperationDocument(trusted: TrustedDocuments | null, payload: { query: string; extensions?: unknown }): string {
  if (!trusted) return payload.query;
  const error = mismatch(payload);
  if (error) throw toGraphQLError(error);
  const hash = persistedHash(payload);
  if (sentDocument(payload) !== null || hash === null) return payload.query;
  const document = trusted.byHash.get(hash);
  if (document === undefined) throw toGraphQLError(notFound());
  return document;
}

// The name and type of the operation a document runs, as metrics and traces label it. Yoga caches
// parsed documents, so the answer is kept per document object rather than looked up per request.
import { getOperationAST, type DocumentNode } from 'graphql';
import type { OperationType } from './metrics.ts';

export interface OperationInfo {
  /** null: an anonymous operation (or none could be chosen). */
  name: string | null;
  type: OperationType;
}

const byDocument = new WeakMap<DocumentNode, Map<string, OperationInfo>>();

export function operationOf(document: DocumentNode, operationName: string | null | undefined): OperationInfo {
  const key = operationName ?? '';
  let infos = byDocument.get(document);
  if (!infos) byDocument.set(document, (infos = new Map()));
  let info = infos.get(key);
  if (!info) {
    const operation = getOperationAST(document, operationName || undefined);
    info = { name: operation?.name?.value ?? null, type: operation?.operation ?? 'unknown' };
    // A client naming operations at will must not grow this cache without limit either.
    if (infos.size < 16) infos.set(key, info);
  }
  return info;
}

/** The operation names of trusted documents (their texts), for the metrics' known label values. */
export function operationNamesIn(documents: Iterable<DocumentNode>): string[] {
  const names: string[] = [];
  for (const document of documents) {
    for (const definition of document.definitions) {
      if (definition.kind === 'OperationDefinition' && definition.name) names.push(definition.name.value);
    }
  }
  return names;
}

// Validation results kept per parsed document, in place of yoga's validation cache. Yoga keys its
// cache by the names of the rules of each request joined into one string (`rules.map(r =>
// r.name).join(',')`, about 30 names here, since graphql-armor adds its rules on every request),
// which profiled at about 2% of a small query's CPU. Here the rules are the same for every
// operation of a server (graphql-armor's, from settings read at start, and graphql-js'), so the
// result depends on the schema and the document only. Yoga's document cache parses each distinct
// text once, so the same text is the same DocumentNode and hits.
import type { DocumentNode, GraphQLError, GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export function validationCachePlugin(): Plugin {
  const bySchema = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, readonly GraphQLError[]>>();
  return {
    onValidate({ params: { schema, documentAST }, setResult }) {
      let byDocument = bySchema.get(schema);
      if (!byDocument) bySchema.set(schema, (byDocument = new WeakMap()));
      const cached = byDocument.get(documentAST);
      if (cached) {
        setResult(cached);
        return;
      }
      const documents = byDocument;
      return ({ result }) => {
        if (result != null) documents.set(documentAST, result as readonly GraphQLError[]);
      };
    },
  };
}

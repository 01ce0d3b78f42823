// GraphQL Code Generator for the admin console: schema.graphql plus the console's own .graphql
// documents (console/operations/) → a typed client in console/src/generated/ (git-ignored; written
// by `npm run console:codegen`, which `prepare`, `console:build` and `typecheck` run).
// documentMode 'string': each document is a typed string, so the bundle needs no GraphQL runtime.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['console/operations/**/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'console/src/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        documentMode: 'string',
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { DateTime: 'string', SafeInt: 'number', ID: 'string', File: { input: 'Blob', output: 'never' } },
        strictScalars: true,
      },
    },
  },
};

export default config;

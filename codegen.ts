// GraphQL Code Generator: turns schema.graphql plus operation documents into a typed client.
// A front end copies this file, points `documents` at its own operations, and runs `npm run codegen`.
// Here it builds the SDK used by test/sdk/sdk.test.ts from examples/operations/; its manifest,
// examples/generated/persisted-documents.json, is committed (see README "Trusted documents").
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['examples/operations/**/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    [process.env.GATEHOUSE_SDK_OUT ?? 'examples/generated/']: {
      preset: 'client',
      // persistedDocuments: also write persisted-documents.json (SHA-256 hash → document), the manifest
      // TRUSTED_DOCUMENTS points at, and embed each document's hash (`__meta__.hash`) for the client to send.
      presetConfig: { fragmentMasking: false, persistedDocuments: { hashAlgorithm: 'sha256' } },
      config: {
        // Plain types and string unions only, so the output runs under Node's type stripping too.
        enumsAsTypes: true,
        useTypeImports: true,
        importExtension: '.ts',
        // File: a file part of a multipart request (uploadDatabase); a File or Blob in the client.
        scalars: { DateTime: 'string', SafeInt: 'number', ID: 'string', File: { input: 'Blob', output: 'never' } },
        strictScalars: true,
      },
    },
  },
};

export default config;

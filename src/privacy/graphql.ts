// GraphQL for the right of access: `exportMyData`.
import { builder } from '../schema/builder.ts';
import { exportUserData, MY_DATA_FORMAT, type MyDataExport } from './service.ts';

const MyDataExportRef = builder.objectRef<MyDataExport>('MyDataExport').implement({
  description: `Everything kept about your account, as one JSON document (format \`${MY_DATA_FORMAT}\`), for download.`,
  authScopes: { authenticated: true },
  fields: (t) => ({
    json: t.exposeString('json', {
      description:
        'The document: `account` (profile, roles, permissions), `secondFactors`, `passkeys`, `sessions`, `accessTokens`, ' +
        '`linkedAccounts` and `auditEvents` (the audit rows about you, oldest first). No secret is in it.',
    }),
    filename: t.exposeString('filename', { description: 'A file name to save it under.' }),
    generatedAt: t.expose('generatedAt', { type: 'DateTime' }),
  }),
});

builder.mutationFields((t) => ({
  exportMyData: t.field({
    type: MyDataExportRef,
    nullable: true,
    authScopes: { $all: { authenticated: true, recentSignIn: true } },
    description:
      'Your own data as JSON (the GDPR right of access). Needs a recent sign-in, like the other sensitive operations; ' +
      'audited as `account.export_data`. A mutation because it is recorded, not because it changes anything.',
    errors: { types: [] },
    resolve: (_root, _args, ctx) => exportUserData(ctx, ctx.viewer!),
  }),
}));

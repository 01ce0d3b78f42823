// Imports every domain's GraphQL module (each registers itself on the builder) and builds the schema.
import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './schema/builder.ts';
import { annotateAccessRules } from './schema/auth-rules.ts';
import './schema/scalars.ts';
import './schema/errors.ts';
import './accounts/graphql.ts';
import './accounts/roles-graphql.ts';
import './sessions/graphql.ts';
import './mfa/graphql.ts';
import './auth/graphql.ts';
import './validation/graphql.ts';
import './access/graphql.ts';
import './admin/users-graphql.ts';
import './admin/setup-graphql.ts';
import './admin/impersonation-graphql.ts';
import './audit/graphql.ts';
import './tokens/graphql.ts';
import './maintenance/graphql.ts';
import './realtime/graphql.ts';
import './oauth/graphql.ts';
import './passkeys/graphql.ts';
import './auth/passkey-graphql.ts';
import './database/graphql.ts';
import './privacy/graphql.ts';
import './webhooks/graphql.ts';
import './organizations/graphql.ts';
import './organizations/mutations-graphql.ts';
import './organizations/roles-graphql.ts';

export const schema = annotateAccessRules(builder.toSchema());

/** The committed SDL: printed from the Pothos schema, types sorted so diffs stay small. */
export function printSchemaSdl(): string {
  return printSchema(lexicographicSortSchema(schema)) + '\n';
}

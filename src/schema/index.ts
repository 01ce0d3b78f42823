// Imports every domain's GraphQL module (each registers itself on the builder) and builds the schema.
import { builder } from './builder.ts';
import { annotateAccessRules } from './auth-rules.ts';
import './scalars.ts';
import './errors.ts';
import '../accounts/graphql.ts';
import '../sessions/graphql.ts';
import '../auth/graphql.ts';
import '../validation/graphql.ts';
import '../access/graphql.ts';
import '../admin/users-graphql.ts';
import '../admin/setup-graphql.ts';
import '../admin/audit-graphql.ts';
import '../tokens/graphql.ts';
import '../maintenance/graphql.ts';
import '../realtime/graphql.ts';
import '../oauth/graphql.ts';
import '../database/graphql.ts';

export const schema = annotateAccessRules(builder.toSchema());

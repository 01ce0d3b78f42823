// Makes each field's access rule visible in the schema (and so in GraphiQL and generated SDKs):
// after the schema is built, every field's description gains an "Access:" line derived from its
// scope-auth rule. Function rules carry their own wording through `describedRule`.
import { GraphQLObjectType, isObjectType, type GraphQLSchema } from 'graphql';

const RULE_TEXT = Symbol('ruleText');

/** Tags a function rule (which cannot be read statically) with the words that describe it. */
export function describedRule<F extends (...args: never[]) => unknown>(text: string, rule: F): F {
  return Object.assign(rule, { [RULE_TEXT]: text });
}

/** Human-readable form of a scope-auth rule, or null when there is none. */
export function describeRule(rule: unknown): string | null {
  if (rule === undefined || rule === null) return null;
  if (typeof rule === 'function') return (rule as { [RULE_TEXT]?: string })[RULE_TEXT] ?? 'a custom rule';
  if (typeof rule === 'boolean') return rule ? 'anyone' : 'nobody';
  if (typeof rule !== 'object') return null;
  const parts = Object.entries(rule as Record<string, unknown>).map(([scope, value]) => {
    if (scope === '$any') return `any of (${describeRule(value)})`;
    if (scope === '$all') return `all of (${describeRule(value)})`;
    if (scope === 'public') return 'anyone';
    if (scope === 'authenticated') return 'signed in';
    if (scope === 'admin') return 'admin';
    if (scope === 'recentSignIn') return 'a recent sign-in (else REAUTHENTICATION_REQUIRED: `reauthenticate`)';
    if (scope === 'notImpersonating') return 'not an impersonation session (else IMPERSONATION_RESTRICTED)';
    if (scope === 'check') return describeRule(value);
    if (scope === 'organizationMember') return 'a member of the organization (or permission `organizations:read`)';
    if (scope === 'organizationPermission') {
      const permission = (value as { permission?: string } | null)?.permission;
      return `organization permission \`${permission}\` in the organization`;
    }
    if (typeof value === 'string') return `${scope} \`${value}\``;
    return scope;
  });
  return parts.join(' and ');
}

interface PothosExtensions {
  pothosOptions?: { authScopes?: unknown };
}

function ruleOf(extensions: unknown): unknown {
  return (extensions as PothosExtensions | undefined)?.pothosOptions?.authScopes;
}

/** Appends "Access: …" to the description of every field of every object type with a rule. */
export function annotateAccessRules(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    annotateType(type);
  }
  return schema;
}

function annotateType(type: GraphQLObjectType): void {
  const typeRule = describeRule(ruleOf(type.extensions));
  if (typeRule) type.description = appendLine(type.description, `Access: ${typeRule}.`);
  for (const field of Object.values(type.getFields())) {
    const fieldRule = describeRule(ruleOf(field.extensions));
    if (fieldRule && fieldRule !== 'anyone') field.description = appendLine(field.description, `Access: ${fieldRule}.`);
    else if (fieldRule === 'anyone' && (type.name === 'Query' || type.name === 'Mutation' || type.name === 'Subscription')) {
      field.description = appendLine(field.description, 'Access: anyone.');
    }
  }
}

function appendLine(description: string | null | undefined, line: string): string {
  return description ? `${description}\n\n${line}` : line;
}

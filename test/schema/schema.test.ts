// The schema as a whole: the committed SDL matches the code, every field states who may read it,
// and the anonymous operations are exactly the ones product.md allows.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getNamedType, isInputObjectType, isNonNullType, isObjectType, isUnionType, type GraphQLField, type GraphQLObjectType } from 'graphql';
import { printSchemaSdl, schema } from '../../src/schema.ts';

/** product.md, "Authorization": the only operations an anonymous client may call. */
const PUBLIC_OPERATIONS = new Set([
  'viewer',
  'maintenance',
  'maintenanceModeChanged',
  'setupStatus',
  'completeSetup',
  'validatePassword',
  'validateEmail',
  'validate',
  'validationRules',
  'oauthProviders',
  'startOAuthLogin',
  'completeOAuthLogin',
  'startPasskeyLogin',
  'finishPasskeyLogin',
  'register',
  'login',
  'verifySecondFactor',
  'logout',
  'confirmEmail',
  'resendConfirmation',
  'requestPasswordReset',
  'resetPassword',
  // An emailed single-use token is the credential, like resetPassword's.
  'confirmEmailChange',
  'cancelEmailChange',
]);

type Rule = unknown;

/** Scope-auth reads its rules from the Pothos options kept in the graphql-js extensions. */
const fieldRule = (field: GraphQLField<unknown, unknown>): Rule =>
  (field.extensions as { pothosOptions?: { authScopes?: Rule } }).pothosOptions?.authScopes;
const typeRule = (type: GraphQLObjectType): Rule =>
  (type.extensions as { pothosOptions?: { authScopes?: Rule } }).pothosOptions?.authScopes;

const objectTypes = () =>
  Object.values(schema.getTypeMap()).filter((t): t is GraphQLObjectType => isObjectType(t) && !t.name.startsWith('__'));

/**
 * Fields the errors plugin generates to wrap a field's value in a result type (`data` of a
 * `<Field>Success` type, used when `directResult` is off). They pass on the value their parent
 * field already authorised, and the wrapped type's own fields are checked like any other. Pothos
 * marks them on the result union: extensions.pothosIndirectInclude.path = [{ type, name }].
 */
function generatedPassThroughFields(): Set<string> {
  const coordinates = new Set<string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isUnionType(type)) continue;
    const include = (type.extensions as { pothosIndirectInclude?: { path?: Array<{ type: string; name: string }> } })
      .pothosIndirectInclude;
    for (const step of include?.path ?? []) coordinates.add(`${step.type}.${step.name}`);
  }
  return coordinates;
}

function isPublicRule(rule: Rule): boolean {
  if (rule === null || typeof rule !== 'object') return false;
  const scopes = rule as Record<string, unknown>;
  // Scopes in one object are alternatives (any of them suffices), as are those under $any.
  if (scopes['public'] === true) return true;
  return isPublicRule(scopes['$any']);
}

describe('schema', () => {
  test('schema.graphql is the printed schema (run `npm run schema` after changing the code)', () => {
    const committed = readFileSync(join(import.meta.dirname, '..', '..', 'schema.graphql'), 'utf8');
    const printed = printSchemaSdl();
    if (committed === printed) return;
    // Point at the first difference rather than printing two whole schemas.
    const [a, b] = [committed.split('\n'), printed.split('\n')];
    const line = a.findIndex((text, i) => text !== b[i]);
    const at = line === -1 ? a.length : line;
    assert.fail(`schema.graphql differs from the code at line ${at + 1}:\n  committed: ${a[at] ?? '(end of file)'}\n  printed:   ${b[at] ?? '(end of file)'}`);
  });

  test('the rule locations this test relies on are where scope-auth keeps them', () => {
    // If Pothos moves them, the default-deny test below would pass for the wrong reason.
    const viewer = schema.getQueryType()!.getFields()['viewer']!;
    assert.deepEqual(fieldRule(viewer), { public: true });
    const user = schema.getType('User') as GraphQLObjectType;
    assert.equal(typeof typeRule(user), 'function');
  });

  test('default deny: every field of every object type has an explicit auth rule', () => {
    const passThrough = generatedPassThroughFields();
    const unguarded: string[] = [];
    let checked = 0;
    for (const type of objectTypes()) {
      const guardedByType = typeRule(type) !== undefined;
      for (const field of Object.values(type.getFields())) {
        checked++;
        const coordinate = `${type.name}.${field.name}`;
        if (guardedByType || fieldRule(field) !== undefined || passThrough.has(coordinate)) continue;
        unguarded.push(coordinate);
      }
    }
    assert.ok(checked > 20, `only ${checked} fields found: is the schema empty?`);
    assert.deepEqual(unguarded, [], `Fields without authScopes (on the field or its type):\n  ${unguarded.join('\n  ')}`);
  });

  test('root fields never rely on a type-level rule', () => {
    // A rule on Query/Mutation would silently cover every operation added later.
    for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
      if (root) assert.equal(typeRule(root), undefined, `${root.name} has a type-level authScopes`);
    }
  });

  test('anonymous operations are a subset of the public list in product.md', () => {
    const anonymous: string[] = [];
    for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
      for (const field of Object.values(root?.getFields() ?? {})) {
        if (isPublicRule(fieldRule(field))) anonymous.push(field.name);
      }
    }
    const unexpected = anonymous.filter((name) => !PUBLIC_OPERATIONS.has(name));
    assert.deepEqual(unexpected, [], `Public operations not in product.md: ${unexpected.join(', ')}`);
    // The walk must see the ones that exist today, or it checks nothing.
    for (const name of ['viewer', 'login', 'register', 'validatePassword']) assert.ok(anonymous.includes(name), name);
  });

  test('API conventions: every mutation takes one `input` (or nothing) and returns its nullable `<Name>Result` union', () => {
    const problems: string[] = [];
    const mutations = Object.values(schema.getMutationType()!.getFields());
    for (const field of mutations) {
      const Name = field.name[0]!.toUpperCase() + field.name.slice(1);
      if (field.args.length > 1) problems.push(`${field.name}: ${field.args.length} arguments`);
      for (const arg of field.args) {
        if (arg.name !== 'input') problems.push(`${field.name}: argument "${arg.name}" instead of input`);
        const type = getNamedType(arg.type);
        if (!isInputObjectType(type) || type.name !== `${Name}Input`) problems.push(`${field.name}: input of type ${type.name}`);
        // Required unless every field of it is optional.
        const allOptional = isInputObjectType(type) && Object.values(type.getFields()).every((f) => !isNonNullType(f.type));
        if (!allOptional && !isNonNullType(arg.type)) problems.push(`${field.name}: optional input with required fields`);
      }
      if (isNonNullType(field.type)) problems.push(`${field.name}: non-null result`);
      const result = getNamedType(field.type);
      if (!isUnionType(result) || result.name !== `${Name}Result`) problems.push(`${field.name}: returns ${result.name}`);
    }
    assert.deepEqual(problems, []);
    assert.ok(mutations.length >= 30, 'the walk sees the mutations');
  });
});

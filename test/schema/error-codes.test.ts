// One catalogue of codes: every code the server can put in a result (`... on Error { code }`) or
// in a top-level error (`errors[].extensions.code`) is a documented value of the ErrorCode enum,
// so a client's exhaustive switch over the enum covers every answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, GraphQLEnumType } from 'graphql';

const ROOT = join(import.meta.dirname, '../..');
const CODE_LITERALS = [
  /\bcode(?:\s*=|:|\s*\?\?)\s*'([A-Z][A-Z_]+)'/g,
  /new AccessError\(\s*'([A-Z][A-Z_]+)'/g,
  /super\(\s*'([A-Z][A-Z_]+)'/g,
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'migrations' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function codesInSource(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of sourceFiles(join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const pattern of CODE_LITERALS) for (const [, code] of text.matchAll(pattern)) if (!found.has(code!)) found.set(code!, file);
  }
  return found;
}

const enumValues = () => {
  const schema = buildSchema(readFileSync(join(ROOT, 'schema.graphql'), 'utf8'));
  const type = schema.getType('ErrorCode');
  assert.ok(type instanceof GraphQLEnumType);
  return type.getValues();
};

test('every code in the source is a value of ErrorCode', () => {
  const values = new Set(enumValues().map((value) => value.name));
  const found = codesInSource();
  // The scan itself must see the codes of both kinds, or it proves nothing.
  for (const known of ['VALIDATION_FAILED', 'SETUP_ALREADY_COMPLETED', 'FORBIDDEN', 'BAD_REQUEST', 'INTERNAL_SERVER_ERROR']) assert.ok(found.has(known), known);
  const missing = [...found].filter(([code]) => !values.has(code)).map(([code, file]) => `${code} (${file})`);
  assert.deepEqual(missing, []);
});

test('every ErrorCode value says whether it comes as a result or as a top-level error', () => {
  for (const value of enumValues()) {
    assert.match(value.description ?? '', /^(Returned as a result|Top-level error)/, value.name);
  }
});

// The committed SDL: printed from the Pothos schema, types sorted so diffs stay small.
import { lexicographicSortSchema, printSchema } from 'graphql';
import { schema } from './index.ts';

export function printSchemaSdl(): string {
  return printSchema(lexicographicSortSchema(schema)) + '\n';
}

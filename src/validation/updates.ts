// One meaning of null in every update input: an omitted field stays as it is, null clears a field
// that can be empty (a profile field, a description), and null on one that cannot (an email, a
// name, a role list) is refused by name instead of being read as "unchanged".
import type { FieldProblem } from '../errors.ts';

export function nullsRefused<T extends object>(input: T, fields: readonly (keyof T & string)[]): FieldProblem[] {
  return fields
    .filter((field) => field in input && input[field] === null)
    .map((field) => ({ field, messages: ['This cannot be cleared: omit the field to keep its value.'] }));
}

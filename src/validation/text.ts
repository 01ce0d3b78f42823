// Text that is shown on one line (names, labels, descriptions): one rule for every domain, so a
// profile name, a role description and a token name refuse the same characters with the same words.
import { invalid, valid, type Validator } from './registry.ts';

/** Control characters (tab included); line breaks are reported as such. */
const CONTROL_CHARS = /[\u0000-\u0009\u000B\u000C\u000E-\u001F\u007F]/;
const LINE_BREAKS = /[\r\n\u2028\u2029]/;

/** Why `value` (already trimmed) is not one line of at most `max` characters, or null when it is. */
export function singleLineProblem(value: string, max: number): string | null {
  if (value.length > max) return `Use at most ${max} characters.`;
  if (LINE_BREAKS.test(value) || CONTROL_CHARS.test(value)) return 'Use a single line without control characters.';
  return null;
}

/** Free text that may span lines (a bio): no control characters but line breaks. */
export function multiLineProblem(value: string, max: number): string | null {
  if (value.length > max) return `Use at most ${max} characters.`;
  if (CONTROL_CHARS.test(value)) return 'Remove control characters.';
  return null;
}

/** The rule for live forms: a name-like field (display name, token name) of at most 100 characters. */
export const SINGLE_LINE_MAX = 100;

export const singleLineRule: Validator = {
  name: 'singleLine',
  description: `One line of text, at most ${SINGLE_LINE_MAX} characters, without control characters (names, labels).`,
  validate: ({ value }) => {
    const problem = singleLineProblem(value.trim(), SINGLE_LINE_MAX);
    return problem ? invalid(problem) : valid;
  },
};

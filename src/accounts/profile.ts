// Optional profile fields: their limits and normalisation, shared by registration and updates.
import type { FieldProblem } from '../errors.ts';

export const PROFILE_FIELDS = ['displayName', 'firstName', 'lastName', 'phone', 'bio', 'avatarUrl'] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];
/** undefined: leave as is; null or "": clear. */
export type ProfileInput = Partial<Record<ProfileField, string | null | undefined>>;
export type ProfileValues = Partial<Record<ProfileField, string | null>>;

const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

const rules: Record<ProfileField, (value: string) => string | null> = {
  displayName: (v) => singleLine(v, 100),
  firstName: (v) => singleLine(v, 100),
  lastName: (v) => singleLine(v, 100),
  phone: (v) => (/^\+?[0-9][0-9 ().-]{2,38}$/.test(v) ? null : 'Enter a phone number of digits, spaces, ( ) . - and an optional leading +.'),
  bio: (v) => (v.length > 2000 ? 'Use at most 2000 characters.' : CONTROL_CHARS.test(v) ? 'Remove control characters.' : null),
  avatarUrl: (v) => {
    if (v.length > 2048) return 'Use at most 2048 characters.';
    try {
      const url = new URL(v);
      return url.protocol === 'https:' || url.protocol === 'http:' ? null : 'Use an http(s) URL.';
    } catch {
      // URL's constructor throws on anything unparsable; that is the answer.
      return 'Enter a valid URL.';
    }
  },
};

function singleLine(value: string, max: number): string | null {
  if (value.length > max) return `Use at most ${max} characters.`;
  if (/[\r\n]/.test(value) || CONTROL_CHARS.test(value)) return 'Use a single line without control characters.';
  return null;
}

/** Trims values, turns "" into null, and reports every field that breaks its rule. */
export function normalizeProfile(input: ProfileInput): { values: ProfileValues; problems: FieldProblem[] } {
  const values: ProfileValues = {};
  const problems: FieldProblem[] = [];
  for (const field of PROFILE_FIELDS) {
    const raw = input[field];
    if (raw === undefined) continue;
    const value = raw === null ? null : raw.trim() || null;
    const problem = value === null ? null : rules[field](value);
    if (problem) problems.push({ field, messages: [problem] });
    else values[field] = value;
  }
  return { values, problems };
}

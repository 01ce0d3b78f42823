// Optional profile fields: their limits and normalisation, shared by registration and updates.
import type { FieldProblem } from '../errors.ts';
import { multiLineProblem, singleLineProblem } from '../validation/text.ts';

export const PROFILE_FIELDS = ['displayName', 'firstName', 'lastName', 'phone', 'bio', 'avatarUrl'] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];
/** undefined: leave as is; null or "": clear. */
export type ProfileInput = Partial<Record<ProfileField, string | null | undefined>>;
export type ProfileValues = Partial<Record<ProfileField, string | null>>;

const rules: Record<ProfileField, (value: string) => string | null> = {
  displayName: (v) => singleLineProblem(v, 100),
  firstName: (v) => singleLineProblem(v, 100),
  lastName: (v) => singleLineProblem(v, 100),
  phone: (v) => (/^\+?[0-9][0-9 ().-]{2,38}$/.test(v) ? null : 'Enter a phone number of digits, spaces, ( ) . - and an optional leading +.'),
  bio: (v) => multiLineProblem(v, 2000),
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

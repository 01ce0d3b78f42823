// One row of a user file checked on its own, with the rules the rest of Gatehouse applies: the
// email rules of registration, the profile limits, and a password hash Gatehouse can verify.
// What needs the whole file or the database (duplicates, existing accounts, roles) is user-import.ts's.
import { checkEmail, emailKey, normalizeEmail } from '../util/email.ts';
import { normalizeProfile, type ProfileField, type ProfileInput, type ProfileValues } from '../accounts/profile.ts';
import { hashFormatProblem } from '../accounts/password-formats.ts';
import { USER_ROLE } from '../access/declarations.ts';
import { USER_FILE_COLUMNS, type FileRecord, type UserFileColumn } from './user-file.ts';

export interface ImportRow {
  line: number;
  email: string;
  emailKey: string;
  passwordHash: string | null;
  /** Role names besides `user`, which every account gets. */
  roles: string[];
  emailConfirmedAt: Date | null;
  createdAt: Date;
  disabled: boolean;
  profile: ProfileValues;
}

export type CheckedRecord = { line: number; row: ImportRow; problems?: never } | { line: number; row?: never; problems: string[] };

const PROFILE_COLUMNS: Record<ProfileField, UserFileColumn> = {
  displayName: 'display_name',
  firstName: 'first_name',
  lastName: 'last_name',
  phone: 'phone',
  bio: 'bio',
  avatarUrl: 'avatar_url',
};

/** Checks a record; `now` is the time of the import (the creation time of rows without one). */
export function checkRecord(record: FileRecord, now: Date): CheckedRecord {
  const problems: string[] = record.unknownKeys.map((key) => `unknown field ${JSON.stringify(key)}; the fields are ${USER_FILE_COLUMNS.join(', ')}.`);
  const field = new FieldReader(record.values, problems);

  const rawEmail = field.text('email');
  const email = normalizeEmail(rawEmail ?? '');
  const emailProblem = rawEmail === null ? 'required.' : checkEmail(email);
  if (emailProblem) problems.push(`email: ${emailProblem}`);

  const passwordHash = field.text('password_hash');
  const hashProblem = passwordHash === null ? null : hashFormatProblem(passwordHash);
  if (hashProblem) problems.push(`password_hash: ${hashProblem}`);

  const createdAt = field.time('created_at', now) ?? now;
  const confirmedAt = field.time('email_confirmed_at', now);
  const confirmed = field.boolean('email_confirmed');
  if (confirmed === false && confirmedAt) problems.push('email_confirmed: false, but email_confirmed_at gives a time.');
  const emailConfirmedAt = confirmedAt ?? (confirmed ? createdAt : null);

  const profileInput: ProfileInput = {};
  for (const [name, column] of Object.entries(PROFILE_COLUMNS) as Array<[ProfileField, UserFileColumn]>) {
    const value = field.text(column);
    if (value !== null) profileInput[name] = value;
  }
  const profile = normalizeProfile(profileInput);
  for (const problem of profile.problems) problems.push(`${PROFILE_COLUMNS[problem.field as ProfileField]}: ${problem.messages.join(' ')}`);

  const roles = field.roles();
  const disabled = field.boolean('disabled') ?? false;
  if (problems.length) return { line: record.line, problems };
  return {
    line: record.line,
    row: { line: record.line, email, emailKey: emailKey(email), passwordHash, roles, emailConfirmedAt, createdAt, disabled, profile: profile.values },
  };
}

/** Reads typed values from CSV text or JSON values, noting every wrong one in `problems`. */
class FieldReader {
  private readonly values: FileRecord['values'];
  private readonly problems: string[];

  constructor(values: FileRecord['values'], problems: string[]) {
    this.values = values;
    this.problems = problems;
  }

  /** Text, or null when absent or empty. */
  text(column: UserFileColumn): string | null {
    const value = this.values[column];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') return this.wrong(column, 'expected text');
    return value.trim() === '' ? null : value.trim();
  }

  boolean(column: UserFileColumn): boolean | null {
    const value = this.values[column];
    if (typeof value === 'boolean') return value;
    const text = typeof value === 'string' ? value.trim().toLowerCase() : null;
    if (text === 'true' || text === '1') return true;
    if (text === 'false' || text === '0') return false;
    if (value === undefined || value === null || text === '') return null;
    return this.wrong(column, 'expected true or false (or 1 or 0)');
  }

  time(column: UserFileColumn, now: Date): Date | null {
    const text = this.text(column);
    if (text === null) return null;
    const time = parseTimestamp(text);
    if (!time) return this.wrong(column, `expected an ISO 8601 time such as 2024-05-17T09:30:00Z (a date alone is midnight UTC), got ${JSON.stringify(text)}`);
    if (time.getTime() > now.getTime()) return this.wrong(column, `${text} is in the future`);
    return time;
  }

  /** CSV: names separated by spaces; JSON Lines: an array of names. Without `user`, which every account has. */
  roles(): string[] {
    const value = this.values.roles;
    let names: unknown[];
    if (value === undefined || value === null) names = [];
    else if (typeof value === 'string') names = value.trim().split(/\s+/).filter(Boolean);
    else if (Array.isArray(value)) names = value;
    else return this.wrong('roles', 'expected role names separated by spaces (CSV) or an array of names (JSON Lines)') ?? [];
    if (names.some((name) => typeof name !== 'string' || !name.trim())) return this.wrong('roles', 'every role name must be non-empty text') ?? [];
    return [...new Set((names as string[]).map((name) => name.trim()))].filter((name) => name !== USER_ROLE);
  }

  private wrong(column: UserFileColumn, message: string): null {
    this.problems.push(`${column}: ${message}.`);
    return null;
  }
}

// A date, or a date and time with a zone (Z or ±hh:mm): a time without a zone is ambiguous.
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?))?$/i;

/** Parses an ISO 8601 time strictly (no rolling 31 April over to 1 May); null when it is not one. */
export function parseTimestamp(text: string): Date | null {
  const match = TIMESTAMP.exec(text);
  if (!match) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone = 'Z'] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, Number(fraction.padEnd(3, '0').slice(0, 3)));
  const check = new Date(utc);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return null;
  const offset = zone.toUpperCase() === 'Z' ? 0 : zoneMinutes(zone);
  if (offset === null) return null;
  return new Date(utc - offset * 60_000);
}

function zoneMinutes(zone: string): number | null {
  const [, sign, hours, minutes = '00'] = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone) ?? [];
  if (!sign || Number(hours) > 23 || Number(minutes) > 59) return null;
  return (sign === '-' ? -1 : 1) * (Number(hours) * 60 + Number(minutes));
}

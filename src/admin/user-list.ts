// The admin user list: search and filters, in a stable order (createdAt, id), paginated by keyset
// on the users(created_at, id) index, so any page costs one index range scan however deep it is.
import { raw, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/sql';
import { AccessError } from '../errors.ts';
import { User } from '../accounts/entities.ts';
import { isBanned } from '../accounts/lockout.ts';

/**
 * ACTIVE: enabled, not banned, confirmed; UNCONFIRMED: the same, email not confirmed; DISABLED:
 * disabled (whatever else); BANNED: enabled but banned until a time still ahead.
 */
export const USER_STATUSES = ['ACTIVE', 'BANNED', 'DISABLED', 'UNCONFIRMED'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export const USER_PAGE_DEFAULT = 20;
export const USER_PAGE_MAX = 100;
const SEARCH_MAX_LENGTH = 200;

export function userStatus(user: Pick<User, 'disabled' | 'bannedUntil' | 'emailConfirmedAt'>, now: Date): UserStatus {
  if (user.disabled) return 'DISABLED';
  if (isBanned(user, now)) return 'BANNED';
  return user.emailConfirmedAt ? 'ACTIVE' : 'UNCONFIRMED';
}

export interface UserFilter {
  /** Case-insensitive substring of the email or the display, first or last name. */
  search?: string | null;
  /** Holders of the role with this name. */
  role?: string | null;
  status?: UserStatus | null;
  /** What "banned" is measured against (the services' clock). */
  now: Date;
}

export interface UserListArgs extends UserFilter {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export interface UserPage {
  users: User[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  /** Counts every user matching the filter; a separate query, so run it only when asked. */
  countTotal(): Promise<number>;
}

interface Keyset {
  createdAt: Date;
  id: string;
}

const CURSOR_PREFIX = 'user:';

/** Opaque to clients; the keyset position (createdAt, id) to us. */
export function userCursor(user: Pick<User, 'createdAt' | 'id'>): string {
  return Buffer.from(`${CURSOR_PREFIX}${user.createdAt.getTime()}:${user.id}`, 'utf8').toString('base64url');
}

function parseUserCursor(name: string, cursor: string): Keyset {
  const text = /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = /^user:(\d{1,15}):([A-Za-z0-9-]{1,64})$/.exec(text);
  if (!match) throw new AccessError('BAD_USER_INPUT', `The \`${name}\` cursor is not valid.`);
  return { createdAt: new Date(Number(match[1])), id: match[2]! };
}

function pageSize(name: string, value: number | null | undefined): number | null {
  if (value == null) return null;
  if (!Number.isInteger(value) || value < 0) throw new AccessError('BAD_USER_INPUT', `\`${name}\` must be zero or more.`);
  return Math.min(value, USER_PAGE_MAX);
}

/** `%` and `_` in what the user typed are literal characters, not wildcards. */
function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function filterQuery(filter: UserFilter): FilterQuery<User>[] {
  const conditions: FilterQuery<User>[] = [];
  const search = filter.search?.trim();
  if (search) {
    if (search.length > SEARCH_MAX_LENGTH) throw new AccessError('BAD_USER_INPUT', `\`search\` is longer than ${SEARCH_MAX_LENGTH} characters.`);
    const pattern = likePattern(search);
    const columns = ['email_key', 'display_name', 'first_name', 'last_name'];
    const sql = (alias: string) => `(${columns.map((c) => `lower(${alias}.${c}) like ? escape '\\'`).join(' or ')})`;
    conditions.push({ [raw(sql, columns.map(() => pattern))]: [] } as FilterQuery<User>);
  }
  if (filter.role != null) {
    // EXISTS rather than a join: one row per user, and the index on users(created_at, id) still drives the scan.
    const sql = (alias: string) =>
      `exists (select 1 from user_roles ur join roles r on r.id = ur.role_id where ur.user_id = ${alias}.id and r.name = ?)`;
    conditions.push({ [raw(sql, [filter.role])]: [] } as FilterQuery<User>);
  }
  const notBanned: FilterQuery<User> = { $or: [{ bannedUntil: null }, { bannedUntil: { $lte: filter.now } }] };
  if (filter.status === 'DISABLED') conditions.push({ disabled: true });
  if (filter.status === 'BANNED') conditions.push({ disabled: false, bannedUntil: { $gt: filter.now } });
  if (filter.status === 'ACTIVE') conditions.push({ disabled: false, emailConfirmedAt: { $ne: null } }, notBanned);
  if (filter.status === 'UNCONFIRMED') conditions.push({ disabled: false, emailConfirmedAt: null }, notBanned);
  return conditions;
}

/**
 * Rows strictly after (or before) a keyset position. `created_at >= t` lets the database start an
 * index range scan at the position instead of walking every earlier row.
 */
function beyond(position: Keyset, direction: 'after' | 'before'): FilterQuery<User> {
  const { createdAt, id } = position;
  return direction === 'after'
    ? { createdAt: { $gte: createdAt }, $or: [{ createdAt: { $gt: createdAt } }, { id: { $gt: id } }] }
    : { createdAt: { $lte: createdAt }, $or: [{ createdAt: { $lt: createdAt } }, { id: { $lt: id } }] };
}

/** Not after / not before: the complement of `beyond`, to learn whether a page has neighbours. */
function atOrBehind(position: Keyset, direction: 'after' | 'before'): FilterQuery<User> {
  const { createdAt, id } = position;
  return direction === 'after'
    ? { createdAt: { $lte: createdAt }, $or: [{ createdAt: { $lt: createdAt } }, { id: { $lte: id } }] }
    : { createdAt: { $gte: createdAt }, $or: [{ createdAt: { $gt: createdAt } }, { id: { $gte: id } }] };
}

const and = (conditions: FilterQuery<User>[]): FilterQuery<User> => (conditions.length ? { $and: conditions } : {});

async function exists(em: EntityManager, where: FilterQuery<User>, direction: 'asc' | 'desc'): Promise<boolean> {
  // Kept out of the identity map: a half-loaded user must not stand in for the real one later.
  const rows = await em.find(User, where, {
    orderBy: { createdAt: direction, id: direction },
    limit: 1,
    fields: ['id'],
    disableIdentityMap: true,
  });
  return rows.length > 0;
}

/**
 * One page of users in (createdAt, id) order. `first`/`after` page forward, `last`/`before`
 * backward (both sizes capped at USER_PAGE_MAX); an `after` and a `before` together bound a window.
 */
export async function listUsers(em: EntityManager, args: UserListArgs): Promise<UserPage> {
  const first = pageSize('first', args.first);
  const last = pageSize('last', args.last);
  if (first !== null && last !== null) throw new AccessError('BAD_USER_INPUT', 'Give `first` or `last`, not both.');
  const after = args.after != null ? parseUserCursor('after', args.after) : null;
  const before = args.before != null ? parseUserCursor('before', args.before) : null;
  const filter = filterQuery(args);
  const window = [...filter];
  if (after) window.push(beyond(after, 'after'));
  if (before) window.push(beyond(before, 'before'));

  const backward = last !== null || (first === null && before !== null && after === null);
  const size = (backward ? last : first) ?? USER_PAGE_DEFAULT;
  const direction = backward ? 'desc' : 'asc';
  const rows = size === 0 ? [] : await em.find(User, and(window), { orderBy: { createdAt: direction, id: direction }, limit: size + 1 });
  const more = rows.length > size;
  const users = rows.slice(0, size);
  if (backward) users.reverse();

  // Whether anything matching lies behind the cursor we came from (one indexed LIMIT 1 lookup).
  const origin = backward ? before : after;
  const behind = origin !== null && (await exists(em, and([...filter, atOrBehind(origin, backward ? 'before' : 'after')]), backward ? 'asc' : 'desc'));
  // A zero-size page says nothing about what lies ahead of it; look.
  const ahead = size === 0 ? await exists(em, and(window), direction) : more;
  return {
    users,
    hasNextPage: backward ? behind : ahead,
    hasPreviousPage: backward ? ahead : behind,
    countTotal: () => em.count(User, and(filter)),
  };
}

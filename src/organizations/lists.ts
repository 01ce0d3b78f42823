// Lists that grow: an organization's members and (admin view) every organization, in a stable
// (createdAt, id) order paged by keyset on an index, so a page deep in 100,000 members costs what
// the first one does. Forward only (`first`/`after`).
import { raw, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/sql';
import { AccessError } from '../errors.ts';
import { Organization, OrganizationMember } from './entities.ts';
import { keysetCursor, parseKeysetCursor, type Keyset } from './service.ts';

export const PAGE_DEFAULT = 20;
export const PAGE_MAX = 100;
const SEARCH_MAX = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
}

export const memberCursor = (member: Keyset) => keysetCursor('member', member);
export const organizationCursor = (organization: Keyset) => keysetCursor('organization', organization);

function pageSize(args: PageArgs): number {
  if (args.last != null || args.before != null) throw new AccessError('BAD_USER_INPUT', 'This list pages forward only: use `first` and `after`.');
  const first = args.first ?? PAGE_DEFAULT;
  if (!Number.isInteger(first) || first < 0) throw new AccessError('BAD_USER_INPUT', '`first` must be zero or more.');
  return Math.min(first, PAGE_MAX);
}

/** Rows strictly after a keyset position; `created_at >= t` lets the index range scan start there. */
function after(position: Keyset | null): Record<string, unknown> {
  if (!position) return {};
  const { createdAt, id } = position;
  return { createdAt: { $gte: createdAt }, $or: [{ createdAt: { $gt: createdAt } }, { id: { $gt: id } }] };
}

export async function listMembers(em: EntityManager, organizationId: string, args: PageArgs): Promise<Page<OrganizationMember>> {
  const size = pageSize(args);
  const position = args.after != null ? parseKeysetCursor('member', 'after', args.after) : null;
  if (size === 0) return { items: [], hasNextPage: (await em.count(OrganizationMember, { organization: organizationId, ...after(position) })) > 0 };
  const rows = await em.find(
    OrganizationMember,
    { organization: organizationId, ...after(position) } as FilterQuery<OrganizationMember>,
    { orderBy: { createdAt: 'asc', id: 'asc' }, limit: size + 1, populate: ['user'] },
  );
  return { items: rows.slice(0, size), hasNextPage: rows.length > size };
}

export async function listOrganizations(em: EntityManager, args: PageArgs & { search?: string | null }): Promise<Page<Organization>> {
  const size = pageSize(args);
  const position = args.after != null ? parseKeysetCursor('organization', 'after', args.after) : null;
  const search = args.search?.trim();
  if (search && search.length > SEARCH_MAX) throw new AccessError('BAD_USER_INPUT', `\`search\` is longer than ${SEARCH_MAX} characters.`);
  // Wildcards typed by the user are dropped, not escaped: SQLite's LIKE has no default escape character.
  const pattern = search ? `%${search.toLowerCase().replace(/[\\%_]/g, '')}%` : null;
  const where: FilterQuery<Organization> = {
    ...after(position),
    ...(pattern ? { [raw((alias: string) => `(lower(${alias}.name) like ? or ${alias}.slug like ?)`, [pattern, pattern])]: [] } : {}),
  } as FilterQuery<Organization>;
  const rows = size === 0 ? [] : await em.find(Organization, where, { orderBy: { createdAt: 'asc', id: 'asc' }, limit: size + 1 });
  return { items: rows.slice(0, size), hasNextPage: rows.length > size };
}

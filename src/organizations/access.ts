// What the viewer may do in one organization: their member role's permissions there, or (admin view)
// the global `organizations:read` (every `…:read`) and `organizations:write` (everything). Read once per
// request and organization, and only when a rule asks. A personal access token limited to one
// organization sees no other (not even through the global permissions).
import type { Context, RequestScope } from '../context.ts';
import { PERMISSIONS } from '../access/declarations.ts';
import { findRow } from '../db/hot-queries.ts';
import type { OrganizationRoleCatalog } from './declarations.ts';
import type { ViewerAccess } from '../access/viewer-access.ts';

export interface OrganizationAccess {
  /** The viewer's role name there, or null when not a member. */
  role: string | null;
  /** Member, or a holder of `organizations:read` (who may read it). */
  canSee(): Promise<boolean>;
  can(permission: string): Promise<boolean>;
  /** Every permission of `names` the viewer holds there. */
  held(names: readonly string[]): Promise<string[]>;
}

const NO_ORGANIZATION_ACCESS: OrganizationAccess = {
  role: null,
  canSee: async () => false,
  can: async () => false,
  held: async () => [],
};

export interface OrganizationAccessLoader {
  (organizationId: string): Promise<OrganizationAccess>;
  /** Drops what was read of an organization (a mutation changed a role there): the next read is fresh. */
  forget(organizationId: string): void;
  /** Records the viewer's role there, read by a statement that fetched it anyway (the active organization). */
  prime(organizationId: string, role: string | null): void;
  /** The viewer's role there when it is already known (primed), without waiting; undefined otherwise. */
  knownRole(organizationId: string): string | null | undefined;
}

declare module '../context.ts' {
  interface Context {
    /** The viewer's access in an organization, read once per request and organization (scope-auth's `organizationPermission`). */
    loadOrganizationAccess: OrganizationAccessLoader;
  }
}

/** The organization a token credential is limited to, or null (a session, a password, an unlimited token). */
export function credentialOrganizationId(scope: Pick<RequestScope, 'credential'>): string | null {
  const credential = scope.credential;
  return credential?.kind === 'token' ? (credential.token.organizationId ?? null) : null;
}

const MEMBER_ROLE_SQL = 'select role from organization_members where organization_id = ? and user_id = ?';

/** The role of `userId` in the organization (one indexed lookup), or null. */
export async function memberRole(scope: Pick<RequestScope, 'em'>, organizationId: string, userId: string): Promise<string | null> {
  const row = await findRow(scope.em, MEMBER_ROLE_SQL, [organizationId, userId]);
  return (row?.['role'] as string | undefined) ?? null;
}

/** A per-request loader over the context (whose viewer login or logout may change mid-operation). */
export function organizationAccessLoader(ctx: Pick<Context, 'viewer' | 'credential' | 'em' | 'loadAccess'>, catalog: OrganizationRoleCatalog): OrganizationAccessLoader {
  const loaded = new Map<string, Promise<OrganizationAccess>>();
  // Roles known without a lookup, so the hot path (viewer.activeOrganization) answers its checks synchronously.
  const primed = new Map<string, string | null>();
  const load = (organizationId: string): Promise<OrganizationAccess> => {
    const viewer = ctx.viewer;
    if (!viewer || typeof organizationId !== 'string') return Promise.resolve(NO_ORGANIZATION_ACCESS);
    const limitedTo = credentialOrganizationId(ctx);
    if (limitedTo !== null && limitedTo !== organizationId) return Promise.resolve(NO_ORGANIZATION_ACCESS);
    const key = `${viewer.id}:${organizationId}`;
    let access = loaded.get(key);
    if (!access) {
      const known = primed.get(key);
      const read = known !== undefined ? Promise.resolve(known) : memberRole(ctx, organizationId, viewer.id);
      access = read.then((role) => accessOf(role, () => ctx.loadAccess(viewer), catalog));
      loaded.set(key, access);
    }
    return access;
  };
  const forget = (organizationId: string) => {
    for (const key of loaded.keys()) if (key.endsWith(`:${organizationId}`)) loaded.delete(key);
  };
  const prime = (organizationId: string, role: string | null) => {
    const viewer = ctx.viewer;
    if (!viewer || (credentialOrganizationId(ctx) ?? organizationId) !== organizationId) return;
    const key = `${viewer.id}:${organizationId}`;
    primed.set(key, role);
    // The next load answers from this role (made only if a rule asks for more than the role).
    loaded.delete(key);
  };
  const knownRole = (organizationId: string) => {
    const viewer = ctx.viewer;
    return viewer ? primed.get(`${viewer.id}:${organizationId}`) : undefined;
  };
  const forgetAll = (organizationId: string) => {
    forget(organizationId);
    for (const key of primed.keys()) if (key.endsWith(`:${organizationId}`)) primed.delete(key);
  };
  return Object.assign(load, { forget: forgetAll, prime, knownRole });
}

/**
 * Access from a member role; the global permissions (organizations:read/write, the admin view) are
 * read only when the role does not answer, so a member's checks cost one indexed lookup.
 */
function accessOf(role: string | null, loadGlobal: () => Promise<ViewerAccess>, catalog: OrganizationRoleCatalog): OrganizationAccess {
  const own = role === null ? new Set<string>() : (catalog.role(role)?.permissions ?? new Set<string>());
  let global: Promise<{ writesAll: boolean; readsAll: boolean }> | null = null;
  const standing = () =>
    (global ??= loadGlobal().then((access) => {
      const writesAll = access.can(PERMISSIONS.organizationsWrite);
      return { writesAll, readsAll: writesAll || access.can(PERMISSIONS.organizationsRead) };
    }));
  const can = async (permission: string) => {
    if (own.has(permission)) return true;
    const { writesAll, readsAll } = await standing();
    return writesAll || (readsAll && permission.endsWith(':read'));
  };
  return {
    role,
    canSee: async () => role !== null || (await standing()).readsAll,
    can,
    held: async (names) => {
      const results = await Promise.all(names.map(can));
      return names.filter((_, i) => results[i]);
    },
  };
}

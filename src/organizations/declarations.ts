// Organization roles and permissions, declared in code the way global ones are (access/declarations.ts).
// Gatehouse's own are below; deployers add theirs through
// `createGatehouse(config, { organizations: { permissions, roles } })`. They hold inside one organization:
// a member's role names one of them, and scope-auth's `organizationPermission` checks it there.
import { ACCESS_NAME, type PermissionDeclaration, type RoleDeclaration } from '../access/declarations.ts';

export interface OrganizationAccessDeclarations {
  permissions?: PermissionDeclaration[];
  roles?: RoleDeclaration[];
}

export const OWNER_ROLE = 'owner';
export const ORG_ADMIN_ROLE = 'admin';
export const MEMBER_ROLE = 'member';

export const ORG_PERMISSIONS = {
  membersRead: 'members:read',
  membersWrite: 'members:write',
  invitationsRead: 'invitations:read',
  invitationsWrite: 'invitations:write',
  organizationWrite: 'organization:write',
  organizationDelete: 'organization:delete',
  ownershipTransfer: 'ownership:transfer',
} as const;

export const BUILT_IN_ORG_PERMISSIONS: PermissionDeclaration[] = [
  { name: ORG_PERMISSIONS.membersRead, description: 'List the members of the organization and their roles.' },
  { name: ORG_PERMISSIONS.membersWrite, description: 'Change members’ roles (up to what one holds) and remove members.' },
  { name: ORG_PERMISSIONS.invitationsRead, description: 'List pending invitations.' },
  { name: ORG_PERMISSIONS.invitationsWrite, description: 'Invite people by email and revoke invitations.' },
  { name: ORG_PERMISSIONS.organizationWrite, description: 'Rename the organization, change its slug and its join domain.' },
  { name: ORG_PERMISSIONS.organizationDelete, description: 'Delete the organization (owner).' },
  { name: ORG_PERMISSIONS.ownershipTransfer, description: 'Hand ownership to another member (owner).' },
];

export const BUILT_IN_ORG_ROLES: RoleDeclaration[] = [
  { name: OWNER_ROLE, description: 'The one owner: every organization permission, including ones declared later.', permissions: [] },
  {
    name: ORG_ADMIN_ROLE,
    description: 'Manages members, invitations and settings; cannot delete the organization or transfer ownership.',
    permissions: [
      ORG_PERMISSIONS.membersRead,
      ORG_PERMISSIONS.membersWrite,
      ORG_PERMISSIONS.invitationsRead,
      ORG_PERMISSIONS.invitationsWrite,
      ORG_PERMISSIONS.organizationWrite,
    ],
  },
  { name: MEMBER_ROLE, description: 'A member: sees the organization and who else is in it.', permissions: [ORG_PERMISSIONS.membersRead] },
];

export interface OrganizationRole {
  name: string;
  description: string;
  /** For `owner`: every declared organization permission. */
  permissions: ReadonlySet<string>;
  builtIn: boolean;
  /** Made over the API (`createOrganizationRole`, stored in `organization_roles`); false: declared in code. */
  custom: boolean;
}

/** A role made over the API, as stored. */
export interface CustomOrganizationRole {
  name: string;
  description: string;
  permissions: readonly string[];
}

/**
 * The organization roles and permissions a server knows: built in, the deployer's (fixed at start),
 * and those made over the API (`replaceCustom`, whenever the stored ones change).
 */
export interface OrganizationRoleCatalog {
  readonly roles: readonly OrganizationRole[];
  readonly permissions: readonly PermissionDeclaration[];
  role(name: string): OrganizationRole | undefined;
  /** Whether `name` is declared in code (built in or the deployer's): such a role cannot be changed over the API. */
  isDeclared(name: string): boolean;
  /** Takes the roles stored now in place of those taken before. A name declared in code keeps its declaration. */
  replaceCustom(roles: readonly CustomOrganizationRole[]): void;
}

declare module '../context.ts' {
  interface Services {
    organizationRoles: OrganizationRoleCatalog;
  }
}

/** Checks the declarations (names, known permissions, no duplicates) and builds the catalog. */
export function organizationRoleCatalog(extra: OrganizationAccessDeclarations = {}): OrganizationRoleCatalog {
  const permissions = [...BUILT_IN_ORG_PERMISSIONS, ...(extra.permissions ?? [])];
  const declaredRoles = [...BUILT_IN_ORG_ROLES, ...(extra.roles ?? [])];
  const names = new Set<string>();
  for (const declared of permissions) {
    if (!ACCESS_NAME.test(declared.name)) throw new Error(`Invalid organization permission name "${declared.name}" in declarations`);
    if (names.has(declared.name)) throw new Error(`Organization permission "${declared.name}" is declared twice`);
    names.add(declared.name);
  }
  const all = new Set(permissions.map((p) => p.name));
  const builtIn = new Set(BUILT_IN_ORG_ROLES.map((r) => r.name));
  const byName = new Map<string, OrganizationRole>();
  for (const declared of declaredRoles) {
    if (!ACCESS_NAME.test(declared.name)) throw new Error(`Invalid organization role name "${declared.name}" in declarations`);
    if (byName.has(declared.name)) throw new Error(`Organization role "${declared.name}" is declared twice`);
    const unknown = declared.permissions.filter((name) => !all.has(name));
    if (unknown.length) throw new Error(`Organization role "${declared.name}" declares unknown permission "${unknown[0]}"`);
    const held = declared.name === OWNER_ROLE ? all : new Set(declared.permissions);
    byName.set(declared.name, { name: declared.name, description: declared.description, permissions: held, builtIn: builtIn.has(declared.name), custom: false });
  }
  const declaredNames = new Set(byName.keys());
  let current = byName;
  let roles: readonly OrganizationRole[] = [...byName.values()];
  return {
    get roles() {
      return roles;
    },
    permissions,
    role: (name) => current.get(name),
    isDeclared: (name) => declaredNames.has(name),
    replaceCustom(custom) {
      const next = new Map(byName);
      for (const role of [...custom].sort((a, b) => a.name.localeCompare(b.name))) {
        if (declaredNames.has(role.name)) continue;
        // Permissions no longer declared (a deployer removed one from the code) grant nothing.
        const held = new Set(role.permissions.filter((name) => all.has(name)));
        next.set(role.name, { name: role.name, description: role.description, permissions: held, builtIn: false, custom: true });
      }
      current = next;
      roles = [...next.values()];
    },
  };
}

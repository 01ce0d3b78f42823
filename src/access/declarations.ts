// Permissions and roles declared in code. Gatehouse's own are below; deployers add theirs through
// `createGatehouse(config, { access: { permissions, roles } })`. All are synced into the database at
// start (created if missing, descriptions refreshed), the way the seed registered Permission/Role objects.
import { AUDIT_READ_PERMISSION } from '../audit/service.ts';

export interface PermissionDeclaration {
  name: string;
  description: string;
}

export interface RoleDeclaration {
  name: string;
  description: string;
  permissions: string[];
}

export interface AccessDeclarations {
  permissions?: PermissionDeclaration[];
  roles?: RoleDeclaration[];
}

export const ADMIN_ROLE = 'admin';
export const USER_ROLE = 'user';

/** Gatehouse's own permissions. The admin role holds these and every other, present or future. */
export const PERMISSIONS = {
  usersRead: 'users:read',
  usersWrite: 'users:write',
  usersImpersonate: 'users:impersonate',
  rolesRead: 'roles:read',
  rolesWrite: 'roles:write',
  auditRead: AUDIT_READ_PERMISSION,
  maintenanceWrite: 'maintenance:write',
  databaseRead: 'database:read',
  databaseWrite: 'database:write',
  webhooksRead: 'webhooks:read',
  webhooksWrite: 'webhooks:write',
  organizationsRead: 'organizations:read',
  organizationsWrite: 'organizations:write',
  organizationsCreate: 'organizations:create',
} as const;

export const BUILT_IN_PERMISSIONS: PermissionDeclaration[] = [
  { name: PERMISSIONS.usersRead, description: 'List and view user accounts.' },
  { name: PERMISSIONS.usersWrite, description: 'Create, edit, disable and delete user accounts, set passwords, end sessions.' },
  { name: PERMISSIONS.usersImpersonate, description: 'Sign in as another (non-admin) user for up to an hour to see what they see (impersonateUser); audited.' },
  { name: PERMISSIONS.rolesRead, description: 'List roles and permissions.' },
  { name: PERMISSIONS.rolesWrite, description: 'Create, edit and delete roles and permissions; assign roles to users.' },
  { name: PERMISSIONS.auditRead, description: 'Read the audit log.' },
  { name: PERMISSIONS.maintenanceWrite, description: 'Turn maintenance mode on and off; keep full access while it is on.' },
  { name: PERMISSIONS.databaseRead, description: 'List database backups and download a copy of the whole database.' },
  { name: PERMISSIONS.databaseWrite, description: 'Create, delete and restore database backups; replace the database with an uploaded file.' },
  { name: PERMISSIONS.webhooksRead, description: 'List webhook endpoints and their deliveries (never a signing secret).' },
  { name: PERMISSIONS.webhooksWrite, description: 'Add, edit, disable and delete webhook endpoints, rotate their signing secrets, replay deliveries.' },
  { name: PERMISSIONS.organizationsRead, description: 'List every organization and read any of them as a member with every `…:read` organization permission would.' },
  { name: PERMISSIONS.organizationsWrite, description: 'Act in any organization with every organization permission (members, invitations, settings, deletion).' },
  {
    name: PERMISSIONS.organizationsCreate,
    description: 'Create organizations when ORGANIZATION_CREATION=permission (with the default, anyone signed in may).',
  },
];

export const BUILT_IN_ROLES: RoleDeclaration[] = [
  { name: ADMIN_ROLE, description: 'Administrators: every permission, including ones added later.', permissions: [] },
  { name: USER_ROLE, description: 'Every account. Grants nothing beyond signing in and managing one’s own account.', permissions: [] },
];

/** A permission or role name: lower-case words with `:`, `-`, `_` or `.` between them. */
export const ACCESS_NAME = /^[a-z][a-z0-9]*(?:[:._-][a-z0-9]+)*$/;

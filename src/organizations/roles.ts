// Organization roles made over the API (`createOrganizationRole` …), beside those declared in code:
// stored in `organization_roles`, held in the catalog every check reads (services.organizationRoles),
// which is re-read after each change here, after another process's (realtime/outside-changes.ts)
// and, with Redis, when another instance announces one. A role groups declared organization
// permissions; roles declared in code (built in or the deployer's) cannot be changed this way.
import type { EntityManager } from '@mikro-orm/sql';
import type { RequestScope, Services } from '../context.ts';
import { BuiltInProtectedError, NameTakenError, notFound, ValidationFailedError, type FieldProblem } from '../errors.ts';
import { checkAccessName } from '../access/service.ts';
import { recordAudit } from '../audit/service.ts';
import { singleLineProblem } from '../validation/text.ts';
import type { OutsideChangeHandler } from '../realtime/outside-changes.ts';
import { OrganizationInvitation, OrganizationMember, OrganizationRoleDefinition } from './entities.ts';
import { uniqueWrite } from './service.ts';
import { MEMBER_ROLE, type OrganizationRole, type OrganizationRoleCatalog } from './declarations.ts';

declare module '../realtime/pubsub.ts' {
  interface Topics {
    /** The stored organization roles changed (read them again). */
    'organization-roles:changed': { at: string };
  }
}

export const ORGANIZATION_ROLE_AUDIT = {
  create: 'organization_role.create',
  update: 'organization_role.update',
  delete: 'organization_role.delete',
} as const;

const DESCRIPTION_MAX = 500;

export interface OrganizationRoleInput {
  name: string;
  description?: string | null;
  permissions?: readonly string[] | null;
}

/** Reads the stored roles into the catalog. */
export async function loadOrganizationRoles(em: EntityManager, catalog: OrganizationRoleCatalog): Promise<void> {
  const stored = await em.find(OrganizationRoleDefinition, {});
  catalog.replaceCustom(stored.map(({ name, description, permissions }) => ({ name, description, permissions })));
}

/** Another process's changes (realtime/outside-changes.ts) and, with Redis, another instance's announcements. */
export function organizationRolesFollower(services: Pick<Services, 'orm' | 'organizationRoles' | 'pubsub' | 'logger'>): OutsideChangeHandler {
  const reload = () => loadOrganizationRoles(services.orm.em.fork(), services.organizationRoles);
  services.pubsub.receive('organization-roles:changed', () => {
    reload().catch((error: unknown) => services.logger.warn({ err: error }, 'organization roles: reload failed; the next poll retries'));
  });
  return { name: 'organization-roles', run: reload };
}

function checkInput(catalog: OrganizationRoleCatalog, input: Omit<OrganizationRoleInput, 'name'>, problems: FieldProblem[]) {
  const description = input.description === undefined ? undefined : (input.description?.trim() ?? '');
  if (description) {
    const problem = singleLineProblem(description, DESCRIPTION_MAX);
    if (problem) problems.push({ field: 'description', messages: [problem] });
  }
  let permissions: string[] | undefined;
  if (input.permissions === null) problems.push({ field: 'permissions', messages: ['Give a list (it may be empty), or leave it out.'] });
  else if (input.permissions !== undefined) {
    permissions = [...new Set(input.permissions.map((name) => name.trim()))].sort();
    const known = new Set(catalog.permissions.map((p) => p.name));
    const unknown = permissions.filter((name) => !known.has(name));
    if (unknown.length) problems.push({ field: 'permissions', messages: [`Unknown organization permission: ${unknown.join(', ')}. Known: ${[...known].join(', ')}.`] });
  }
  return { description, permissions };
}

/** After a change here: this instance's catalog at once, the others' through the announcement (or their poll). */
async function changed(scope: Pick<RequestScope, 'em' | 'services'>): Promise<void> {
  await loadOrganizationRoles(scope.em, scope.services.organizationRoles);
  scope.services.pubsub.publish('organization-roles:changed', { at: scope.services.clock.now().toISOString() });
}

const roleOf = (scope: Pick<RequestScope, 'services'>, name: string) => scope.services.organizationRoles.role(name)!;

/** A new organization role of declared organization permissions. */
export async function createOrganizationRole(scope: RequestScope, input: OrganizationRoleInput): Promise<OrganizationRole> {
  const { em, services } = scope;
  const catalog = services.organizationRoles;
  const problems: FieldProblem[] = [];
  const name = checkAccessName('name', input.name, problems);
  const { description, permissions } = checkInput(catalog, { description: input.description ?? null, permissions: input.permissions ?? [] }, problems);
  if (problems.length) throw new ValidationFailedError(problems);
  if (catalog.role(name) || (await em.findOne(OrganizationRoleDefinition, { name }))) throw new NameTakenError('organization role', name);
  const now = services.clock.now();
  em.create(OrganizationRoleDefinition, { name, description: description ?? '', permissions: permissions ?? [], createdAt: now, updatedAt: now });
  // Two creations of one name at once: the primary key decides.
  await uniqueWrite(() => em.flush(), () => new NameTakenError('organization role', name));
  await recordAudit(scope, { action: ORGANIZATION_ROLE_AUDIT.create, targetType: 'organization_role', targetId: name, details: { name, permissions } });
  await changed(scope);
  return roleOf(scope, name);
}

async function storedRole(scope: RequestScope, rawName: string): Promise<OrganizationRoleDefinition> {
  const name = rawName.trim();
  if (scope.services.organizationRoles.isDeclared(name)) throw new BuiltInProtectedError(`The organization role "${name}" (declared in code)`);
  const stored = await scope.em.findOne(OrganizationRoleDefinition, { name });
  if (!stored) throw notFound('Organization role');
  return stored;
}

/** Changes a role made over the API: its description and (replacing it) its permission list. */
export async function updateOrganizationRole(scope: RequestScope, input: OrganizationRoleInput): Promise<OrganizationRole> {
  const stored = await storedRole(scope, input.name);
  const problems: FieldProblem[] = [];
  const { description, permissions } = checkInput(scope.services.organizationRoles, input, problems);
  if (problems.length) throw new ValidationFailedError(problems);
  const before = [...stored.permissions];
  if (description !== undefined) stored.description = description;
  if (permissions !== undefined) stored.permissions = permissions;
  stored.updatedAt = scope.services.clock.now();
  await scope.em.flush();
  await recordAudit(scope, {
    action: ORGANIZATION_ROLE_AUDIT.update,
    targetType: 'organization_role',
    targetId: stored.name,
    details: {
      name: stored.name,
      ...(description !== undefined ? { description } : {}),
      permissionsAdded: stored.permissions.filter((p) => !before.includes(p)),
      permissionsRemoved: before.filter((p) => !stored.permissions.includes(p)),
    },
  });
  await changed(scope);
  return roleOf(scope, stored.name);
}

/**
 * Deletes a role made over the API. Its holders become `member`s at once, and pending invitations
 * with it invite as `member`; the answer says how many of each.
 */
export async function deleteOrganizationRole(scope: RequestScope, rawName: string): Promise<{ name: string; members: number; invitations: number }> {
  const stored = await storedRole(scope, rawName);
  const name = stored.name;
  const outcome = await scope.em.transactional(async (tx) => {
    const members = await tx.nativeUpdate(OrganizationMember, { role: name }, { role: MEMBER_ROLE });
    const invitations = await tx.nativeUpdate(OrganizationInvitation, { role: name }, { role: MEMBER_ROLE });
    await tx.nativeDelete(OrganizationRoleDefinition, { name });
    await recordAudit({ ...scope, em: tx }, { action: ORGANIZATION_ROLE_AUDIT.delete, targetType: 'organization_role', targetId: name, details: { name, members, invitations } });
    return { name, members, invitations };
  });
  await changed(scope);
  return outcome;
}

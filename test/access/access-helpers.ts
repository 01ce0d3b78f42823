// Helpers shared by the roles-and-permissions tests: direct database set-up (roles given without
// going through the API under test), a snapshot of the whole access model, and the GraphQL documents.
import assert from 'node:assert/strict';
import { User } from '../../src/accounts/entities.ts';
import { Permission, Role } from '../../src/access/entities.ts';
import { AuditEvent } from '../../src/audit/entities.ts';
import type { GqlResponse, TestServer } from '../helpers/server.ts';

export const ROLES = `{ roles { id name description builtIn userCount permissions { name } createdAt updatedAt } }`;
export const PERMISSIONS = `{ permissions { id name description builtIn createdAt } }`;
export const VIEWER_ACCESS = `{ viewer { id roles { name } permissions isAdmin } }`;

const ERROR_FIELDS = `... on Error { code message }`;
const VALIDATION_FIELDS = `${ERROR_FIELDS} ... on ValidationError { fields { field messages } }`;

export const CREATE_ROLE = `mutation($input: CreateRoleInput!) {
  createRole(input: $input) { __typename ... on Role { id name description builtIn permissions { name } } ${VALIDATION_FIELDS} }
}`;
export const UPDATE_ROLE = `mutation($input: UpdateRoleInput!) {
  updateRole(input: $input) { __typename ... on Role { id name description builtIn permissions { name } } ${VALIDATION_FIELDS} }
}`;
export const DELETE_ROLE = `mutation($name: String!) {
  deleteRole(input: { name: $name }) { __typename ... on DeletedRole { id name } ${ERROR_FIELDS} }
}`;
export const CREATE_PERMISSION = `mutation($input: CreatePermissionInput!) {
  createPermission(input: $input) { __typename ... on Permission { id name description builtIn } ${VALIDATION_FIELDS} }
}`;
export const DELETE_PERMISSION = `mutation($name: String!) {
  deletePermission(input: { name: $name }) { __typename ... on DeletedPermission { id name } ${ERROR_FIELDS} }
}`;
export const ASSIGN_ROLES = `mutation($userId: ID!, $roles: [String!]!) {
  assignRoles(input: { userId: $userId, roles: $roles }) { __typename ... on User { id } ${VALIDATION_FIELDS} }
}`;

const fork = (server: TestServer) => server.gatehouse.services.orm.em.fork();

/** Gives a user roles directly in the database (the set-up the brief prescribes for admins). */
export async function grantRoles(server: TestServer, userId: string, ...names: string[]): Promise<void> {
  const em = fork(server);
  const user = await em.findOneOrFail(User, { id: userId }, { populate: ['roles'] });
  for (const name of names) user.roles.add(await em.findOneOrFail(Role, { name }));
  await em.flush();
}

/** Creates a role holding the named permissions directly in the database. */
export async function createRoleInDb(server: TestServer, name: string, permissions: string[]): Promise<string> {
  const em = fork(server);
  const now = new Date();
  const role = em.create(Role, {
    name,
    description: null,
    builtIn: false,
    permissions: await em.find(Permission, { name: { $in: permissions } }),
    createdAt: now,
    updatedAt: now,
  });
  await em.flush();
  return role.id;
}

export async function setDisabled(server: TestServer, userId: string, disabled: boolean): Promise<void> {
  await fork(server).nativeUpdate(User, { id: userId }, { disabled });
}

export async function roleId(server: TestServer, name: string): Promise<string> {
  return (await fork(server).findOneOrFail(Role, { name })).id;
}

export async function permissionId(server: TestServer, name: string): Promise<string> {
  return (await fork(server).findOneOrFail(Permission, { name })).id;
}

export async function rolesOf(server: TestServer, userId: string): Promise<string[]> {
  const user = await fork(server).findOneOrFail(User, { id: userId }, { populate: ['roles'] });
  return user.roles.getItems().map((r) => r.name).sort();
}

/** Everything the access API can change, as plain data: equal snapshots mean nothing changed. */
export async function accessSnapshot(server: TestServer): Promise<unknown> {
  const em = fork(server);
  const roles = await em.find(Role, {}, { populate: ['permissions'], orderBy: { name: 'asc' } });
  const permissions = await em.find(Permission, {}, { orderBy: { name: 'asc' } });
  const users = await em.find(User, {}, { populate: ['roles'], orderBy: { id: 'asc' } });
  return {
    roles: roles.map((r) => ({
      id: r.id,
      name: r.name,
      description: r.description,
      builtIn: r.builtIn,
      updatedAt: r.updatedAt.toISOString(),
      permissions: r.permissions.getItems().map((p) => p.name).sort(),
    })),
    permissions: permissions.map((p) => ({ id: p.id, name: p.name, description: p.description, builtIn: p.builtIn })),
    userRoles: users.map((u) => ({ id: u.id, roles: u.roles.getItems().map((r) => r.name).sort() })),
    auditEvents: await em.count(AuditEvent, {}),
  };
}

export async function auditEvents(server: TestServer, action: string) {
  return fork(server).find(AuditEvent, { action }, { orderBy: { id: 'asc' } });
}

/** Asserts a response without errors and returns its data. */
export function dataOf(res: GqlResponse): any {
  assert.equal(res.body.errors, undefined, JSON.stringify(res.body.errors));
  assert.equal(res.status, 200);
  return res.body.data;
}

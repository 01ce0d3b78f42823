// Shared by the admin user-management tests: granting roles in the database, and the operations.
import assert from 'node:assert/strict';
import { Permission, Role } from '../../src/access/entities.ts';
import { User } from '../../src/accounts/entities.ts';
import { AuditEvent } from '../../src/audit/entities.ts';
import { Session } from '../../src/sessions/entities.ts';
import type { GqlResponse, TestServer } from '../helpers/server.ts';

/** Gives the user a role straight in the database (as a deployment's setup would). */
export async function grantRole(server: TestServer, userId: string, roleName: string): Promise<void> {
  const em = server.gatehouse.services.orm.em.fork();
  const user = await em.findOneOrFail(User, { id: userId }, { populate: ['roles'] });
  user.roles.add(await em.findOneOrFail(Role, { name: roleName }));
  await em.flush();
}

/** Creates a role holding exactly these permissions (directly in the database). */
export async function createRoleWith(server: TestServer, name: string, permissions: string[]): Promise<void> {
  const em = server.gatehouse.services.orm.em.fork();
  const now = server.clock.now();
  const role = em.create(Role, { name, description: null, builtIn: false, createdAt: now, updatedAt: now });
  for (const permission of permissions) role.permissions.add(await em.findOneOrFail(Permission, { name: permission }));
  await em.flush();
}

/** The stored row, read fresh (null when deleted). */
export async function storedUser(server: TestServer, id: string) {
  const em = server.gatehouse.services.orm.em.fork();
  return em.findOne(User, { id }, { populate: ['roles', 'passwordHash'] });
}

export async function sessionCount(server: TestServer, userId: string): Promise<number> {
  return server.gatehouse.services.orm.em.fork().count(Session, { user: userId });
}

export async function auditEvents(server: TestServer, action: string, targetId: string): Promise<AuditEvent[]> {
  const em = server.gatehouse.services.orm.em.fork();
  return em.find(AuditEvent, { action, targetId }, { orderBy: { id: 'asc' } });
}

export const USER_FIELDS = `id email emailConfirmed disabled status displayName firstName lastName`;

export const OPS = {
  users: `query($first: Int, $after: String, $last: Int, $before: String, $search: String, $role: String, $status: UserStatus) {
    users(first: $first, after: $after, last: $last, before: $before, search: $search, role: $role, status: $status) {
      edges { cursor node { id email } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }`,
  user: `query($id: ID!) { user(id: $id) { ${USER_FIELDS} } }`,
  createUser: `mutation($input: CreateUserInput!) {
    createUser(input: $input) {
      __typename
      ... on User { ${USER_FIELDS} roles { name } }
      ... on Error { code message }
      ... on ValidationError { fields { field messages } }
    }
  }`,
  updateUser: `mutation($input: UpdateUserInput!) {
    updateUser(input: $input) {
      __typename
      ... on User { ${USER_FIELDS} roles { name } }
      ... on Error { code message }
      ... on ValidationError { fields { field messages } }
    }
  }`,
  deleteUser: `mutation($id: ID!) {
    deleteUser(input: { id: $id }) { __typename ... on DeletedUser { id email } ... on Error { code message } }
  }`,
  setUserPassword: `mutation($id: ID!, $password: String!) {
    setUserPassword(input: { id: $id, password: $password }) {
      __typename
      ... on User { id }
      ... on Error { code message }
      ... on ValidationError { fields { field messages } }
    }
  }`,
  revokeUserSessions: `mutation($id: ID!) { revokeUserSessions(input: { id: $id }) { ... on RevokedSessions { count } } }`,
  userSessions: `query($id: ID!) { user(id: $id) { id sessions { id } } }`,
  deleteAccount: `mutation {
    deleteAccount { __typename ... on DeletedUser { id email } ... on Error { code message } }
  }`,
};

/** Asserts a successful response and returns its data. */
export function dataOf(res: GqlResponse): any {
  assert.equal(res.body.errors, undefined, JSON.stringify(res.body));
  assert.equal(res.status, 200);
  return res.body.data;
}

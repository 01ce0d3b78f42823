// Shared by the organization tests: GraphQL documents, creating organizations over the API, and a
// snapshot of everything organizations store (to show that a refused call changed nothing).
import assert from 'node:assert/strict';
import { ActiveOrganization, Organization, OrganizationInvitation, OrganizationMember } from '../../src/organizations/entities.ts';
import { linkIn } from '../helpers/smtp.ts';
import type { GqlResponse, RequestOptions, TestServer } from '../helpers/server.ts';

export const ERROR_FIELDS = `... on Error { code message } ... on ValidationError { fields { field messages } }`;
/** For results that hold no ValidationError. */
export const CODE_FIELDS = `... on Error { code message }`;
export const ORG_FIELDS = `id name slug joinDomain createdAt updatedAt viewerRole { name } viewerPermissions`;

export const CREATE_ORG = `mutation($name: String!, $slug: String!) {
  createOrganization(input: { name: $name, slug: $slug }) { __typename ... on Organization { ${ORG_FIELDS} } ${ERROR_FIELDS} }
}`;
export const UPDATE_ORG = `mutation($input: UpdateOrganizationInput!) {
  updateOrganization(input: $input) { __typename ... on Organization { ${ORG_FIELDS} } ${ERROR_FIELDS} }
}`;
export const DELETE_ORG = `mutation($id: ID!) {
  deleteOrganization(input: { organizationId: $id }) { __typename ... on DeletedOrganization { id name slug } }
}`;
export const ORG = `query($id: ID!) { organization(id: $id) { ${ORG_FIELDS} } }`;
export const MEMBERS = `query($id: ID!, $first: Int, $after: String) {
  organization(id: $id) {
    memberCount
    members(first: $first, after: $after) {
      edges { cursor node { id userId email displayName role { name } roleName joinedAt } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;
export const INVITE = `mutation($id: ID!, $email: String!, $role: String) {
  inviteToOrganization(input: { organizationId: $id, email: $email, role: $role }) {
    __typename ... on SentInvitation { id email role expiresAt } ${ERROR_FIELDS}
  }
}`;
export const REVOKE_INVITATION = `mutation($id: ID!, $email: String!) {
  revokeInvitation(input: { organizationId: $id, email: $email }) { __typename ... on RevokedInvitations { email count } ${ERROR_FIELDS} }
}`;
export const ACCEPT = `mutation($token: String!) {
  acceptInvitation(input: { token: $token }) { __typename ... on OrganizationMember { userId email roleName } ${CODE_FIELDS} }
}`;
export const SET_ROLE = `mutation($id: ID!, $userId: ID!, $role: String!) {
  setMemberRole(input: { organizationId: $id, userId: $userId, role: $role }) { __typename ... on OrganizationMember { userId roleName } ${ERROR_FIELDS} }
}`;
export const REMOVE_MEMBER = `mutation($id: ID!, $userId: ID!) {
  removeMember(input: { organizationId: $id, userId: $userId }) { __typename ... on RemovedMember { organizationId userId } ${CODE_FIELDS} }
}`;
export const LEAVE = `mutation($id: ID!) {
  leaveOrganization(input: { organizationId: $id }) { __typename ... on RemovedMember { organizationId userId } ${CODE_FIELDS} }
}`;
export const TRANSFER = `mutation($id: ID!, $userId: ID!) {
  transferOwnership(input: { organizationId: $id, userId: $userId }) { __typename ... on Organization { id viewerRole { name } } ${ERROR_FIELDS} }
}`;
export const JOIN = `mutation($id: ID!) {
  joinOrganization(input: { organizationId: $id }) { __typename ... on OrganizationMember { userId roleName } ${CODE_FIELDS} }
}`;
export const SET_ACTIVE = `mutation($id: ID) {
  setActiveOrganization(input: { organizationId: $id }) { __typename ... on ActiveOrganizationChoice { organization { id name } } }
}`;
export const VIEWER_ORGS = `{ viewer { id organizations { id name viewerRole { name } } activeOrganization { id name viewerRole { name } } joinableOrganizations { id name } } }`;

export function dataOf(res: GqlResponse): any {
  assert.equal(res.body.errors, undefined, JSON.stringify(res.body.errors));
  return res.body.data;
}

/** Creates an organization over the API as `token`; returns its id. */
export async function createOrg(server: TestServer, token: string, name: string, slug: string): Promise<string> {
  const result = dataOf(await server.gql(CREATE_ORG, { name, slug }, { token })).createOrganization;
  assert.equal(result.__typename, 'Organization', JSON.stringify(result));
  return result.id;
}

/** Invites `email` over the API, waits for the mail at the real SMTP catcher, returns the link's token. */
export async function inviteAndReadToken(server: TestServer, token: string, organizationId: string, email: string, role?: string): Promise<string> {
  server.mail.take();
  const sent = dataOf(await server.gql(INVITE, { id: organizationId, email, role }, { token })).inviteToOrganization;
  assert.equal(sent.__typename, 'SentInvitation', JSON.stringify(sent));
  const mail = await server.mail.waitFor(email, /invited to join/);
  const invitation = linkIn(mail).searchParams.get('token');
  assert.ok(invitation, 'the mail links a token');
  return invitation;
}

/** Invites and accepts: `member` joins `organizationId` with `role`. */
export async function addMemberByInvitation(server: TestServer, ownerToken: string, organizationId: string, member: { token: string; email: string }, role?: string): Promise<void> {
  const invitation = await inviteAndReadToken(server, ownerToken, organizationId, member.email, role);
  // Members are listed in the order they joined: one joining per millisecond keeps that order known.
  server.clock.advance(1);
  const accepted = dataOf(await server.gql(ACCEPT, { token: invitation }, { token: member.token })).acceptInvitation;
  assert.equal(accepted.__typename, 'OrganizationMember', JSON.stringify(accepted));
}

/** Every organization row, membership, invitation and active choice, as plain data. */
export async function organizationSnapshot(server: TestServer): Promise<unknown> {
  const em = server.gatehouse.services.orm.em.fork();
  const plain = (rows: object[]) => rows.map((row) => JSON.parse(JSON.stringify(row)));
  return {
    organizations: plain(await em.find(Organization, {}, { orderBy: { id: 'asc' } })),
    members: plain(await em.find(OrganizationMember, {}, { orderBy: { id: 'asc' } })),
    invitations: plain(await em.find(OrganizationInvitation, {}, { orderBy: { id: 'asc' } })),
    active: plain(await em.find(ActiveOrganization, {}, { orderBy: { session: 'asc' } })),
  };
}

export const as = (token: string | undefined): RequestOptions => (token ? { token } : {});

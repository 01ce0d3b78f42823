// One organization (/organizations/:id): its settings, members a page at a time (forward), pending
// invitations, and the actions the viewer's permissions there allow — invite by email, revoke an
// address's invitations, remove a member, delete the organization (step-up) — each refused action
// showing the server's message.
import { useEffect, useState } from 'preact/hooks';
import {
  ConsoleDeleteOrganizationDocument,
  ConsoleInviteToOrganizationDocument,
  ConsoleOrganizationDocument,
  ConsoleOrganizationInvitationsDocument,
  ConsoleRemoveMemberDocument,
  ConsoleRevokeInvitationDocument,
  type ConsoleOrganizationInvitationsQuery,
  type ConsoleOrganizationQuery,
} from '../generated/graphql.ts';
import { expect, messageOf, request } from '../api.ts';
import { ConfirmButton, ErrorMessage, Field, formError, Status, useAction } from '../components.tsx';
import { Link, navigate } from '../router.tsx';
import { setFlash } from '../flash.ts';

const PAGE_SIZE = 25;

type Organization = NonNullable<ConsoleOrganizationQuery['organization']>;
type Roles = ConsoleOrganizationQuery['organizationRoles'];
type Invitations = NonNullable<ConsoleOrganizationInvitationsQuery['organization']>['invitations'];

export function OrganizationPage({ id }: { id: string }) {
  const [after, setAfter] = useState<string | null>(null);
  const [trail, setTrail] = useState<Array<string | null>>([]);
  const [data, setData] = useState<{ organization: Organization; roles: Roles } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let current = true;
    request(ConsoleOrganizationDocument, { id, first: PAGE_SIZE, after })
      .then((result) => current && (setData({ organization: result.organization, roles: result.organizationRoles }), setError(null)))
      .catch((e: unknown) => current && (setData(null), setError(messageOf(e))));
    return () => {
      current = false;
    };
  }, [id, after, version]);

  const changed = (message: string) => {
    setNotice(message);
    setVersion(version + 1);
  };

  if (!data) {
    return (
      <main id="main">
        <p>
          <Link to="/organizations">All organizations</Link>
        </p>
        <h1>Organization</h1>
        {error ? <ErrorMessage message={error} /> : <p role="status">Loading the organization…</p>}
      </main>
    );
  }
  const { organization, roles } = data;
  const may = (permission: string) => organization.viewerPermissions.includes(permission);
  const members = organization.members;

  return (
    <main id="main">
      <p>
        <Link to="/organizations">All organizations</Link>
      </p>
      <div class="title-row">
        <h1>{organization.name}</h1>
        {may('organization:delete') && (
          <ConfirmButton
            label="Delete organization"
            title={`Delete ${organization.name}?`}
            danger
            onConfirm={async () => {
              const deleted = expect((await request(ConsoleDeleteOrganizationDocument, { input: { organizationId: organization.id } })).deleteOrganization, 'DeletedOrganization');
              setFlash(`Deleted the organization ${deleted.name}.`);
              navigate('/organizations');
            }}
          >
            <p>Its {organization.memberCount} memberships, its invitations and the access tokens limited to it go with it. This cannot be undone.</p>
          </ConfirmButton>
        )}
      </div>
      <Status message={notice} />
      <dl>
        <dt>Slug</dt>
        <dd>
          <code>{organization.slug}</code>
        </dd>
        <dt>Join domain</dt>
        <dd>{organization.joinDomain ?? 'None (by invitation only)'}</dd>
        <dt>Created</dt>
        <dd>
          <time dateTime={organization.createdAt}>{new Date(organization.createdAt).toLocaleString()}</time>
        </dd>
      </dl>

      <h2>Members ({organization.memberCount})</h2>
      <table>
        <caption class="visually-hidden">Members of {organization.name}</caption>
        <thead>
          <tr>
            <th scope="col">Email</th>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">Joined</th>
            {may('members:write') && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {members.edges.map(({ node }) => (
            <tr key={node.id}>
              <td>{node.email}</td>
              <td>{node.displayName ?? ''}</td>
              <td>{node.roleName}</td>
              <td>
                <time dateTime={node.joinedAt}>{new Date(node.joinedAt).toLocaleDateString()}</time>
              </td>
              {may('members:write') && (
                <td>
                  {node.roleName !== 'owner' && (
                    <ConfirmButton
                      label={`Remove ${node.email}`}
                      title={`Remove ${node.email} from ${organization.name}?`}
                      confirmLabel="Remove"
                      danger
                      onConfirm={async () => {
                        expect((await request(ConsoleRemoveMemberDocument, { input: { organizationId: organization.id, userId: node.userId } })).removeMember, 'RemovedMember');
                        changed(`Removed ${node.email}.`);
                      }}
                    >
                      <p>They lose access to the organization at once.</p>
                    </ConfirmButton>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {(trail.length > 0 || members.pageInfo.hasNextPage) && (
        <nav class="row" aria-label="Member pages">
          <button
            type="button"
            disabled={trail.length === 0}
            onClick={() => {
              setAfter(trail.at(-1) ?? null);
              setTrail(trail.slice(0, -1));
            }}
          >
            Previous page
          </button>
          <button
            type="button"
            disabled={!members.pageInfo.hasNextPage}
            onClick={() => {
              setTrail([...trail, after]);
              setAfter(members.pageInfo.endCursor ?? null);
            }}
          >
            Next page
          </button>
        </nav>
      )}

      {may('invitations:read') && <InvitationsSection organizationId={organization.id} version={version} writable={may('invitations:write')} onChanged={changed} />}
      {may('invitations:write') && <InviteForm organizationId={organization.id} roles={roles} onInvited={changed} />}
    </main>
  );
}

function InvitationsSection({ organizationId, version, writable, onChanged }: { organizationId: string; version: number; writable: boolean; onChanged: (message: string) => void }) {
  const [invitations, setInvitations] = useState<Invitations | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    request(ConsoleOrganizationInvitationsDocument, { id: organizationId })
      .then((data) => current && setInvitations(data.organization.invitations))
      .catch((e: unknown) => current && setError(messageOf(e)));
    return () => {
      current = false;
    };
  }, [organizationId, version]);
  return (
    <section aria-labelledby="invitations-title">
      <h2 id="invitations-title">Pending invitations</h2>
      <ErrorMessage message={error} />
      {invitations && invitations.length === 0 && <p class="empty">No pending invitations.</p>}
      {invitations && invitations.length > 0 && (
        <table>
          <caption class="visually-hidden">Pending invitations</caption>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Invited by</th>
              <th scope="col">Expires</th>
              {writable && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {invitations.map((invitation) => (
              <tr key={invitation.id}>
                <td>{invitation.email}</td>
                <td>{invitation.role}</td>
                <td>{invitation.invitedByEmail ?? ''}</td>
                <td>
                  <time dateTime={invitation.expiresAt}>{new Date(invitation.expiresAt).toLocaleString()}</time>
                </td>
                {writable && (
                  <td>
                    <ConfirmButton
                      label={`Revoke ${invitation.email}`}
                      title={`Revoke the invitation to ${invitation.email}?`}
                      confirmLabel="Revoke"
                      danger
                      onConfirm={async () => {
                        expect((await request(ConsoleRevokeInvitationDocument, { input: { organizationId, email: invitation.email } })).revokeInvitation, 'RevokedInvitations');
                        onChanged(`Revoked the invitation to ${invitation.email}.`);
                      }}
                    >
                      <p>The emailed link stops working at once.</p>
                    </ConfirmButton>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function InviteForm({ organizationId, roles, onInvited }: { organizationId: string; roles: Roles; onInvited: (message: string) => void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('member');
  const action = useAction();
  const submit = async (event: Event) => {
    event.preventDefault();
    const done = await action.run(async () => {
      const sent = expect((await request(ConsoleInviteToOrganizationDocument, { input: { organizationId, email, role } })).inviteToOrganization, 'SentInvitation');
      onInvited(`Invited ${sent.email}.`);
    });
    if (done) setEmail('');
  };
  return (
    <section aria-labelledby="invite-title">
      <h2 id="invite-title">Invite someone</h2>
      <form onSubmit={(e) => void submit(e)} aria-busy={action.busy}>
        <Field label="Email" type="email" required value={email} onValue={setEmail} errors={action.fields['email']} />
        <label for="invite-role">Role</label>
        <select id="invite-role" value={role} onChange={(e) => setRole(e.currentTarget.value)}>
          {roles
            .filter((r) => r.name !== 'owner')
            .map((r) => (
              <option key={r.name} value={r.name}>
                {r.name}
              </option>
            ))}
        </select>
        <ErrorMessage message={formError(action, ['email'])} />
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Sending…' : 'Send invitation'}
        </button>
      </form>
    </section>
  );
}

// The roles & permissions editor: every role with its description, holders and permissions (the
// built-in `admin` holds every permission; `user` is every account), and every permission. With
// roles:write the viewer creates, edits and deletes both; the server's typed refusals (a taken name,
// a built-in role, a bad name) are shown by the form that asked, field problems under their field.
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import {
  ConsoleAccessCreatePermissionDocument,
  ConsoleAccessCreateRoleDocument,
  ConsoleAccessDeletePermissionDocument,
  ConsoleAccessDeleteRoleDocument,
  ConsoleAccessOverviewDocument,
  ConsoleAccessUpdateRoleDocument,
  type ConsoleAccessOverviewQuery,
  type UpdateRoleInput,
} from '../generated/graphql.ts';
import { expect, messageOf, request } from '../api.ts';
import { ConfirmButton, ErrorMessage, Field, FieldErrors, Status, useAction } from '../components.tsx';
import { useViewer } from '../viewer.ts';

type RoleItem = ConsoleAccessOverviewQuery['roles'][number];
type PermissionItem = ConsoleAccessOverviewQuery['permissions'][number];

const ADMIN = 'admin';
const USER = 'user';
const NAME_HINT = 'Lower-case words joined by ":", ".", "_" or "-", e.g. "support" or "reports:read".';

export function RolesPage() {
  const { can } = useViewer();
  const writable = can('roles:write');
  const [data, setData] = useState<ConsoleAccessOverviewQuery | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const rolesHeading = useRef<HTMLHeadingElement>(null);

  const load = async () => {
    try {
      setData(await request(ConsoleAccessOverviewDocument));
      setError(null);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  useEffect(() => {
    void load();
  }, []);

  /**
   * After a change: read everything again (a rename or delete touches several lists), then say what
   * happened, so the status never announces a change the lists do not show yet.
   */
  const changed = async (message: string) => {
    await load();
    setStatus(message);
  };

  return (
    <main id="main" class="access">
      <h1>Roles and permissions</h1>
      <Status message={status} />
      <ErrorMessage message={error} />
      {!data && !error && <p role="status">Loading roles…</p>}
      {data && (
        <>
          <section aria-labelledby="roles-heading">
            <h2 id="roles-heading" ref={rolesHeading} tabIndex={-1}>
              Roles
            </h2>
            {data.roles.length === 0 ? (
              <p class="empty">There are no roles.</p>
            ) : (
              <ul class="access-cards">
                {data.roles.map((role) => (
                  <li key={role.id}>
                    <RoleCard
                      role={role}
                      permissions={data.permissions}
                      writable={writable}
                      onChanged={changed}
                      onDeleted={async (message) => {
                        await changed(message);
                        rolesHeading.current?.focus();
                      }}
                    />
                  </li>
                ))}
              </ul>
            )}
          </section>
          {writable && (
            <section aria-labelledby="new-role-heading">
              <h2 id="new-role-heading">New role</h2>
              <RoleForm permissions={data.permissions} onSaved={(role) => changed(`Role “${role.name}” created.`)} />
            </section>
          )}
          <PermissionsSection data={data} writable={writable} onChanged={changed} />
        </>
      )}
    </main>
  );
}

function RoleCard({
  role,
  permissions,
  writable,
  onChanged,
  onDeleted,
}: {
  role: RoleItem;
  permissions: PermissionItem[];
  writable: boolean;
  onChanged: (message: string) => Promise<void>;
  onDeleted: (message: string) => Promise<void>;
}) {
  const [editing, setEditing] = useState(false);
  const editButton = useRef<HTMLButtonElement>(null);
  const headingId = useId();
  const wasEditing = useRef(false);
  // Back from the form: focus returns to the Edit button it came from.
  useEffect(() => {
    if (!editing && wasEditing.current) editButton.current?.focus();
    wasEditing.current = editing;
  }, [editing]);

  if (editing) {
    return (
      <article aria-labelledby={headingId}>
        <h3 id={headingId}>Edit role “{role.name}”</h3>
        <RoleForm
          role={role}
          permissions={permissions}
          onCancel={() => setEditing(false)}
          onSaved={async (saved) => {
            setEditing(false);
            await onChanged(`Role “${saved.name}” saved.`);
          }}
        />
      </article>
    );
  }
  const holders = role.name === USER ? 'Every account holds this role.' : `${role.userCount} ${role.userCount === 1 ? 'account holds' : 'accounts hold'} this role.`;
  return (
    <article aria-labelledby={headingId}>
      <h3 id={headingId}>
        {role.name} {role.builtIn && <span class="badge">built in</span>}
      </h3>
      <p>{role.description ?? <span class="empty">No description.</span>}</p>
      <p class="hint">{holders}</p>
      {role.name === ADMIN ? (
        <p>Permissions: all of them, including ones added later.</p>
      ) : role.permissions.length === 0 ? (
        <p class="empty">Grants no permissions.</p>
      ) : (
        <ul class="access-tags" aria-label={`Permissions of ${role.name}`}>
          {role.permissions.map((p) => (
            <li key={p.name}>
              <code>{p.name}</code>
            </li>
          ))}
        </ul>
      )}
      {writable && (
        <div class="row">
          <button type="button" class="secondary" ref={editButton} onClick={() => setEditing(true)}>
            Edit<span class="visually-hidden"> role {role.name}</span>
          </button>
          {!role.builtIn && (
            <ConfirmButton
              label="Delete"
              confirmLabel="Delete role"
              title={`Delete the role “${role.name}”?`}
              danger
              onConfirm={async () => {
                const deleted = expect((await request(ConsoleAccessDeleteRoleDocument, { input: { name: role.name } })).deleteRole, 'DeletedRole');
                await onDeleted(`Role “${deleted.name}” deleted.`);
              }}
            >
              {role.userCount === 0
                ? 'No account holds it.'
                : `${role.userCount} ${role.userCount === 1 ? 'account loses' : 'accounts lose'} it, and the permissions it grants them, at once.`}
            </ConfirmButton>
          )}
        </div>
      )}
    </article>
  );
}

/** Creates a role, or with `role` edits it (only the fields that changed are sent). */
function RoleForm({ role, permissions, onSaved, onCancel }: { role?: RoleItem; permissions: PermissionItem[]; onSaved: (role: RoleItem) => Promise<void>; onCancel?: () => void }) {
  const { can } = useViewer();
  const initial = role?.permissions.map((p) => p.name) ?? [];
  const [name, setName] = useState(role?.name ?? '');
  const [description, setDescription] = useState(role?.description ?? '');
  const [selected, setSelected] = useState<string[]>(initial);
  const action = useAction();
  const form = useRef<HTMLFormElement>(null);
  const legendId = useId();
  const isAdmin = role?.name === ADMIN;

  useEffect(() => {
    if (role) form.current?.querySelector<HTMLInputElement>('input:not([disabled])')?.focus();
  }, []);

  const toggle = (permission: string, on: boolean) => setSelected((now) => (on ? [...now, permission] : now.filter((p) => p !== permission)));

  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const result = role
        ? (await request(ConsoleAccessUpdateRoleDocument, { input: changesTo(role, { name, description, selected }) })).updateRole
        : (await request(ConsoleAccessCreateRoleDocument, { input: { name, description: description.trim() || null, permissions: selected } })).createRole;
      const saved = expect(result, 'Role');
      if (!role) {
        setName('');
        setDescription('');
        setSelected([]);
      }
      await onSaved(saved);
    });
  };

  return (
    <form ref={form} class="access-form" onSubmit={submit} aria-busy={action.busy}>
      <Field
        label="Role name"
        value={name}
        onValue={setName}
        required
        maxLength={64}
        disabled={role?.builtIn}
        hint={role?.builtIn ? 'Built-in roles keep their name.' : NAME_HINT}
        errors={action.fields.name ?? action.fields.newName}
      />
      <Field label="Role description" value={description} onValue={setDescription} maxLength={500} errors={action.fields.description} />
      {isAdmin ? (
        <p class="hint">The admin role holds every permission; its list cannot be edited.</p>
      ) : (
        <fieldset aria-describedby={action.fields.permissions ? `${legendId}-error` : undefined}>
          <legend id={legendId}>Permissions</legend>
          {permissions.length === 0 && <p class="empty">There are no permissions yet.</p>}
          {permissions.map((p) => (
            <PermissionCheckbox
              key={p.name}
              permission={p}
              checked={selected.includes(p.name)}
              // No one grants what they do not hold (the server refuses it): not offered, but kept if the role has it.
              grantable={can(p.name) || initial.includes(p.name)}
              onChange={(on) => toggle(p.name, on)}
            />
          ))}
          <FieldErrors id={`${legendId}-error`} errors={action.fields.permissions} />
          {role?.builtIn && role.name !== USER && <p class="hint">Permissions declared in code for this role come back at the next start.</p>}
        </fieldset>
      )}
      <ErrorMessage message={action.error} />
      <div class="row">
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Saving…' : role ? 'Save role' : 'Create role'}
        </button>
        {onCancel && (
          <button type="button" class="secondary" disabled={action.busy} onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

function PermissionCheckbox({ permission, checked, grantable, onChange }: { permission: PermissionItem; checked: boolean; grantable: boolean; onChange: (on: boolean) => void }) {
  const id = useId();
  const note = [permission.description, grantable ? null : 'You do not hold it, so you cannot grant it.'].filter(Boolean).join(' ');
  return (
    <div class="access-check">
      <input id={id} type="checkbox" checked={checked} disabled={!grantable} aria-describedby={note ? `${id}-note` : undefined} onChange={(e) => onChange(e.currentTarget.checked)} />
      <label for={id}>
        <code>{permission.name}</code>
      </label>
      {note && (
        <span id={`${id}-note`} class="hint">
          {note}
        </span>
      )}
    </div>
  );
}

/** updateRole's input: the role's name and only what the form changed. */
function changesTo(role: RoleItem, form: { name: string; description: string; selected: string[] }): UpdateRoleInput {
  const input: UpdateRoleInput = { name: role.name };
  if (form.name.trim() !== role.name) input.newName = form.name;
  if (form.description.trim() !== (role.description ?? '')) input.description = form.description.trim() || null;
  const before = role.permissions.map((p) => p.name).sort();
  const after = [...form.selected].sort();
  if (role.name !== ADMIN && before.join() !== after.join()) input.permissions = after;
  return input;
}

function PermissionsSection({ data, writable, onChanged }: { data: ConsoleAccessOverviewQuery; writable: boolean; onChanged: (message: string) => Promise<void> }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const holdersOf = (permission: string) => data.roles.filter((r) => r.name !== ADMIN && r.permissions.some((p) => p.name === permission)).map((r) => r.name);
  return (
    <section aria-labelledby="permissions-heading">
      <h2 id="permissions-heading" ref={heading} tabIndex={-1}>
        Permissions
      </h2>
      {data.permissions.length === 0 ? (
        <p class="empty">There are no permissions.</p>
      ) : (
        <table class="access-permissions">
          <caption class="visually-hidden">Permissions</caption>
          <thead>
            <tr>
              <th scope="col">Permission</th>
              <th scope="col">Description</th>
              {writable && (
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {data.permissions.map((p) => (
              <tr key={p.id}>
                <td>
                  <code>{p.name}</code> {p.builtIn && <span class="badge">built in</span>}
                </td>
                <td>{p.description ?? ''}</td>
                {writable && (
                  <td class="actions">
                    {!p.builtIn && (
                      <ConfirmButton
                        label="Delete"
                        confirmLabel="Delete permission"
                        title={`Delete the permission “${p.name}”?`}
                        danger
                        onConfirm={async () => {
                          const deleted = expect((await request(ConsoleAccessDeletePermissionDocument, { input: { name: p.name } })).deletePermission, 'DeletedPermission');
                          await onChanged(`Permission “${deleted.name}” deleted.`);
                          heading.current?.focus();
                        }}
                      >
                        {rolesLosing(holdersOf(p.name))}
                      </ConfirmButton>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {writable && (
        <>
          <h3>New permission</h3>
          <PermissionForm onSaved={(name) => onChanged(`Permission “${name}” created. The admin role holds it; edit other roles to grant it.`)} />
        </>
      )}
    </section>
  );
}

function rolesLosing(roles: string[]): string {
  if (roles.length === 0) return 'No role other than admin holds it.';
  return `These roles lose it at once: ${roles.join(', ')}.`;
}

function PermissionForm({ onSaved }: { onSaved: (name: string) => Promise<void> }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const action = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const result = (await request(ConsoleAccessCreatePermissionDocument, { input: { name, description: description.trim() || null } })).createPermission;
      const created = expect(result, 'Permission');
      setName('');
      setDescription('');
      await onSaved(created.name);
    });
  };
  return (
    <form class="access-form" onSubmit={submit} aria-busy={action.busy}>
      <Field label="Permission name" value={name} onValue={setName} required maxLength={64} hint={NAME_HINT} errors={action.fields.name} />
      <Field label="Permission description" value={description} onValue={setDescription} maxLength={500} errors={action.fields.description} />
      <ErrorMessage message={action.error} />
      <button type="submit" disabled={action.busy}>
        {action.busy ? 'Creating…' : 'Create permission'}
      </button>
    </form>
  );
}

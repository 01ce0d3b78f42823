// `gatehouse role …`: roles for operators.
import { printTable, UsageError } from '../cli/io.ts';
import { parseCommandArgs, type CliCommand } from '../cli/command.ts';
import { createRole, deleteRole, listRoles, roleUserCount } from './service.ts';
import { ADMIN_ROLE } from './declarations.ts';

export const ROLE_USAGE = `  role list [--json]                                roles, their permissions and holders
  role add <name> [--description <text>] [--permission <name>]…
  role delete <name>                                built-in roles cannot be deleted`;

export async function roleCommand({ io, args, asOperator }: CliCommand): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'list': {
      const { values } = parseCommandArgs(rest, { json: { type: 'boolean' } }, 0);
      const rows = await asOperator(async (scope) => {
        const roles = await listRoles(scope);
        return Promise.all(
          roles.map(async (role) => ({
            name: role.name,
            builtIn: role.builtIn,
            users: await roleUserCount(scope, role),
            permissions: role.name === ADMIN_ROLE ? ['*'] : role.permissions.getItems().map((p) => p.name).sort(),
            description: role.description ?? '',
          })),
        );
      });
      if (values.json) io.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      else printTable(io, rows.map((r) => ({ ...r, builtIn: r.builtIn ? 'yes' : '', users: String(r.users), permissions: r.permissions.join(',') })));
      return 0;
    }
    case 'add': {
      const { values, positionals } = parseCommandArgs(
        rest,
        { description: { type: 'string' }, permission: { type: 'string', multiple: true } },
        1,
      );
      const role = await asOperator((scope) =>
        createRole(scope, { name: positionals[0]!, description: values.description ?? null, permissions: values.permission ?? [] }),
      );
      io.stdout.write(`Created the role ${role.name}.\n`);
      return 0;
    }
    case 'delete': {
      const { positionals } = parseCommandArgs(rest, {}, 1);
      const deleted = await asOperator((scope) => deleteRole(scope, positionals[0]!));
      io.stdout.write(`Deleted the role ${deleted.name}.\n`);
      return 0;
    }
    default:
      throw new UsageError(sub ? `Unknown role command "${sub}".` : 'Missing role command.');
  }
}

// `gatehouse user …` and `gatehouse admin ensure`: account administration for operators.
// Passwords come from a prompt or stdin, never from arguments (shell history, process lists).
import { CliFailure, printTable, readNewPassword, UsageError } from '../cli/io.ts';
import { parseCommandArgs, type CliCommand } from '../cli/command.ts';
import type { RequestScope } from '../context.ts';
import { findUserByEmail } from '../accounts/service.ts';
import type { User } from '../accounts/entities.ts';
import { createUser, deleteUser, resetUserSecondFactors, setUserPassword, updateUser } from './users.ts';
import { listUsers, USER_STATUSES, userCursor, userStatus, type UserFilter, type UserStatus } from './user-list.ts';
import { ensureAdmin } from './setup.ts';
import { TRANSFER_USAGE } from './transfer-usage.ts';

export const USER_USAGE = `  user add <email> [--role <name>]… [--confirmed]   create an account (password from prompt or stdin)
  user delete <email>                               delete an account
  user list [--role <name>] [--status active|banned|disabled|unconfirmed] [--search <text>] [--json]
  user set-password <email>                         set a new password (ends its sessions)
  user disable <email> | user enable <email>        disabling ends every session at once
  user mfa-reset <email>                            remove its second factors (authenticator app, passkeys, recovery codes)
${TRANSFER_USAGE}
  admin ensure <email>                              make the account an admin (creates it if missing)`;

export async function userCommand(command: CliCommand): Promise<number> {
  const { io, args, asOperator } = command;
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add': {
      const { values, positionals } = parseCommandArgs(rest, { role: { type: 'string', multiple: true }, confirmed: { type: 'boolean' } }, 1);
      const password = await readNewPassword(io);
      const user = await asOperator((scope) =>
        createUser(scope, { email: positionals[0]!, password, confirmed: values.confirmed ?? false, roles: values.role ?? [] }),
      );
      io.stdout.write(`Created ${user.email} (${user.id}).\n`);
      return 0;
    }
    case 'delete': {
      const { positionals } = parseCommandArgs(rest, {}, 1);
      const deleted = await asOperator(async (scope) => deleteUser(scope, (await existingUser(scope, positionals[0]!)).id));
      io.stdout.write(`Deleted ${deleted.email}.\n`);
      return 0;
    }
    case 'list':
      return listCommand({ ...command, args: rest });
    case 'import':
      return (await import('./transfer-cli.ts')).importCommand({ ...command, args: rest });
    case 'export':
      return (await import('./transfer-cli.ts')).exportCommand({ ...command, args: rest });
    case 'set-password': {
      const { positionals } = parseCommandArgs(rest, {}, 1);
      const password = await readNewPassword(io);
      const user = await asOperator(async (scope) => setUserPassword(scope, (await existingUser(scope, positionals[0]!)).id, password));
      io.stdout.write(`Password set for ${user.email}; its sessions were ended.\n`);
      return 0;
    }
    case 'disable':
    case 'enable': {
      const { positionals } = parseCommandArgs(rest, {}, 1);
      const disabled = sub === 'disable';
      const user = await asOperator(async (scope) => updateUser(scope, (await existingUser(scope, positionals[0]!)).id, { disabled }));
      io.stdout.write(`${disabled ? 'Disabled' : 'Enabled'} ${user.email}.\n`);
      return 0;
    }
    case 'mfa-reset': {
      const { positionals } = parseCommandArgs(rest, {}, 1);
      const user = await asOperator(async (scope) => resetUserSecondFactors(scope, (await existingUser(scope, positionals[0]!)).id));
      io.stdout.write(`Removed the second factors of ${user.email}; the password alone signs in until new ones are set up.\n`);
      return 0;
    }
    default:
      throw new UsageError(sub ? `Unknown user command "${sub}".` : 'Missing user command.');
  }
}

async function existingUser(scope: RequestScope, email: string): Promise<User> {
  const user = await findUserByEmail(scope, email);
  if (!user) throw new CliFailure(`No account with the email ${email}.`);
  return user;
}

async function listCommand({ io, args, asOperator }: CliCommand): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    { role: { type: 'string' }, status: { type: 'string' }, search: { type: 'string' }, json: { type: 'boolean' } },
    0,
  );
  const status = values.status?.toUpperCase();
  if (status !== undefined && !USER_STATUSES.includes(status as UserStatus)) {
    throw new UsageError(`--status must be one of ${USER_STATUSES.join(', ').toLowerCase()}.`);
  }
  const filter: Omit<UserFilter, 'now'> = { role: values.role ?? null, search: values.search ?? null, status: (status as UserStatus) ?? null };
  const rows = await asOperator(async (scope) => {
    const all: Array<{ id: string; email: string; status: string; roles: string[]; createdAt: string }> = [];
    for (let after: string | null = null; ; ) {
      const page = await listUsers(scope.em, { ...filter, first: 100, after, now: scope.services.clock.now() });
      await scope.em.populate(page.users, ['roles']);
      for (const user of page.users) {
        const roles = user.roles.getItems().map((role) => role.name).sort();
        all.push({ id: user.id, email: user.email, status: userStatus(user, scope.services.clock.now()).toLowerCase(), roles, createdAt: user.createdAt.toISOString() });
      }
      if (!page.hasNextPage || page.users.length === 0) return all;
      after = userCursor(page.users.at(-1)!);
    }
  });
  if (values.json) io.stdout.write(JSON.stringify(rows, null, 2) + '\n');
  else if (rows.length === 0) io.stdout.write('No accounts match.\n');
  else printTable(io, rows.map((r) => ({ email: r.email, status: r.status, roles: r.roles.join(','), created: r.createdAt, id: r.id })));
  return 0;
}

export async function adminCommand({ io, args, asOperator }: CliCommand): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'ensure') throw new UsageError(sub ? `Unknown admin command "${sub}".` : 'Missing admin command.');
  const { positionals } = parseCommandArgs(rest, {}, 1);
  const email = positionals[0]!;
  const result = await asOperator(async (scope) => {
    // Ask for a password only when the account has to be created; an existing one keeps its own.
    const password = (await findUserByEmail(scope, email)) ? null : await readNewPassword(io);
    return ensureAdmin(scope, email, password);
  });
  const { user } = result;
  io.stdout.write(
    result.created
      ? `Created the admin ${user.email}.\n`
      : result.roleAdded
        ? `${user.email} is now an admin.\n`
        : `${user.email} is already an admin.\n`,
  );
  return 0;
}

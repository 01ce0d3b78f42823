// `gatehouse maintenance …`: maintenance mode for operators. The command writes the database; a
// running server notices the change (realtime/outside-changes.ts) and tells its subscribers.
import { UsageError, type CliIO } from '../cli/io.ts';
import { parseCommandArgs, type CliCommand } from '../cli/command.ts';
import { readMaintenanceState, setMaintenanceMode, type MaintenanceState } from './service.ts';

export const MAINTENANCE_USAGE = `  maintenance on [--message <text>] [--ends-at <ISO time>]
                                                    refuse everyone but admins (audited)
  maintenance off                                   serve everyone again
  maintenance status [--json]                       whether the mode is on, its message and end`;

export async function maintenanceCommand({ io, args, asOperator }: CliCommand): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'on': {
      const { values } = parseCommandArgs(rest, { message: { type: 'string' }, 'ends-at': { type: 'string' } }, 0);
      const endsAt = values['ends-at'] === undefined ? null : parseTime(values['ends-at']);
      const state = await asOperator((scope) => setMaintenanceMode(scope, { enabled: true, message: values.message ?? null, endsAt }));
      io.stdout.write('Maintenance mode is on: only admins can use the API.\n');
      printDetails(io, state);
      return 0;
    }
    case 'off': {
      parseCommandArgs(rest, {}, 0);
      await asOperator((scope) => setMaintenanceMode(scope, { enabled: false }));
      io.stdout.write('Maintenance mode is off.\n');
      return 0;
    }
    case 'status': {
      const { values } = parseCommandArgs(rest, { json: { type: 'boolean' } }, 0);
      const state = await asOperator((scope) => readMaintenanceState(scope.em));
      if (values.json) {
        io.stdout.write(JSON.stringify(state, null, 2) + '\n');
        return 0;
      }
      io.stdout.write(`Maintenance mode is ${state.enabled ? 'on' : 'off'}.\n`);
      printDetails(io, state);
      if (state.updatedAt) io.stdout.write(`Changed:  ${state.updatedAt.toISOString()} by ${state.updatedBy ?? 'the command line'}\n`);
      return 0;
    }
    default:
      throw new UsageError(sub ? `Unknown maintenance command "${sub}".` : 'Missing maintenance command.');
  }
}

function parseTime(text: string): Date {
  const time = new Date(text);
  // Date accepts many forms; ask for ISO 8601 so "03/04" cannot mean two different days.
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(time.getTime())) {
    throw new UsageError(`--ends-at must be an ISO-8601 time such as 2030-01-31T18:00:00Z, got "${text}".`);
  }
  return time;
}

function printDetails(io: CliIO, state: MaintenanceState): void {
  if (state.message) io.stdout.write(`Message:  ${state.message}\n`);
  if (state.endsAt) io.stdout.write(`Ends at:  ${state.endsAt.toISOString()}\n`);
}

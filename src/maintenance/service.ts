// Maintenance mode: the persisted state (a `system_settings` row), the rules for changing it, and
// the in-memory copy the gate reads on every operation (no database read per request). Every
// change that reaches the copy is published on the `maintenance:changed` topic.
import type { EntityManager } from '@mikro-orm/sql';
import { Repeater } from 'graphql-yoga';
import { isOperator, viewerAccess, type RequestScope, type Services } from '../context.ts';
import { forbidden, ValidationFailedError, type FieldProblem } from '../errors.ts';
import { PERMISSIONS } from '../access/declarations.ts';
import { recordAudit } from '../audit/service.ts';
import type { PubSub } from '../realtime/pubsub.ts';
import type { OutsideChangeHandler } from '../realtime/outside-changes.ts';
import { SystemSetting } from './entities.ts';

declare module '../realtime/pubsub.ts' {
  interface Topics {
    /** The maintenance state after a change (from any path: mutation, command line, another process). */
    'maintenance:changed': MaintenanceState;
  }
}

declare module '../context.ts' {
  interface Services {
    /** The maintenance state as this process last saw it (read by the gate on every operation). */
    maintenance: MaintenanceCache;
  }
}

export const MAINTENANCE_KEY = 'maintenance';
export const MAINTENANCE_MESSAGE_MAX = 500;

export const MAINTENANCE_AUDIT_ACTIONS = { on: 'maintenance.on', off: 'maintenance.off' } as const;

export interface MaintenanceState {
  enabled: boolean;
  /** Shown to users while the mode is on. */
  message: string | null;
  /** The announced end, if any (informational: the mode stays on until turned off). */
  endsAt: Date | null;
  /** Null until the mode was changed for the first time. */
  updatedAt: Date | null;
  /** The email of the admin who changed it last; null for the command line. */
  updatedBy: string | null;
}

export const MAINTENANCE_NEVER_SET: MaintenanceState = Object.freeze({
  enabled: false,
  message: null,
  endsAt: null,
  updatedAt: null,
  updatedBy: null,
});

/** What is stored in `system_settings.value` (JSON: the end time as an ISO string). */
interface StoredMaintenance {
  enabled: boolean;
  message: string | null;
  endsAt: string | null;
}

function toState(row: SystemSetting | null): MaintenanceState {
  if (!row) return MAINTENANCE_NEVER_SET;
  const value = row.value as Partial<StoredMaintenance>;
  return {
    enabled: value.enabled === true,
    message: typeof value.message === 'string' ? value.message : null,
    endsAt: typeof value.endsAt === 'string' ? new Date(value.endsAt) : null,
    updatedAt: row.updatedAt,
    updatedBy: row.updatedBy ?? null,
  };
}

/** Reads what is stored now (the EntityManager should be a fresh fork). */
export async function readMaintenanceState(em: EntityManager): Promise<MaintenanceState> {
  return toState(await em.findOne(SystemSetting, { key: MAINTENANCE_KEY }, { disableIdentityMap: true }));
}

const time = (date: Date | null) => date?.getTime() ?? null;

/** A state that crossed instances as JSON (dates as ISO strings), or null when it is not one. */
function reviveMaintenanceState(payload: unknown): MaintenanceState | null {
  const value = payload as Record<string, unknown> | null;
  if (!value || typeof value.enabled !== 'boolean') return null;
  const date = (v: unknown) => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? new Date(v) : null);
  return {
    enabled: value.enabled,
    message: typeof value.message === 'string' ? value.message : null,
    endsAt: date(value.endsAt),
    updatedAt: date(value.updatedAt),
    updatedBy: typeof value.updatedBy === 'string' ? value.updatedBy : null,
  };
}

export function sameMaintenanceState(a: MaintenanceState, b: MaintenanceState): boolean {
  return (
    a.enabled === b.enabled &&
    a.message === b.message &&
    time(a.endsAt) === time(b.endsAt) &&
    time(a.updatedAt) === time(b.updatedAt) &&
    a.updatedBy === b.updatedBy
  );
}

/**
 * The state as this process last saw it. Updated by the mutation and the command line directly,
 * and by the watcher when another process changed the database; each real change is published.
 */
export class MaintenanceCache {
  #current: MaintenanceState = MAINTENANCE_NEVER_SET;
  /** Counts applied changes, so a slow re-read cannot overwrite a newer local change. */
  #generation = 0;
  readonly #pubsub: PubSub;
  constructor(pubsub: PubSub) {
    this.#pubsub = pubsub;
    // A change announced by another instance: taken here and given to this instance's subscribers.
    pubsub.receive('maintenance:changed', (payload) => {
      const state = reviveMaintenanceState(payload);
      if (!state) return;
      // An older state arriving late (two instances changing it at once) does not win; the poll
      // converges every instance on what is stored.
      if ((time(state.updatedAt) ?? 0) < (time(this.#current.updatedAt) ?? 0)) return;
      if (sameMaintenanceState(state, this.#current)) return;
      this.#current = state;
      this.#generation++;
      this.#pubsub.publishLocal('maintenance:changed', state);
    });
  }

  get current(): MaintenanceState {
    return this.#current;
  }

  /** Takes a state just written to the database; publishes it when it differs. */
  update(state: MaintenanceState): boolean {
    if (sameMaintenanceState(state, this.#current)) return false;
    this.#current = state;
    this.#generation++;
    this.#pubsub.publish('maintenance:changed', state);
    return true;
  }

  /** Re-reads the stored state (another process may have changed it) and takes it. */
  async reload(em: EntityManager): Promise<boolean> {
    for (;;) {
      const generation = this.#generation;
      const state = await readMaintenanceState(em);
      // A local change landed during the read: what was read may predate it, so read again.
      if (generation === this.#generation) return this.update(state);
    }
  }
}

export interface MaintenanceInput {
  enabled: boolean;
  message?: string | null;
  endsAt?: Date | null;
}

function checkInput(scope: RequestScope, input: MaintenanceInput): { message: string | null; endsAt: Date | null } {
  const problems: FieldProblem[] = [];
  const message = input.message?.trim() || null;
  if (message !== null && message.length > MAINTENANCE_MESSAGE_MAX) {
    problems.push({ field: 'message', messages: [`At most ${MAINTENANCE_MESSAGE_MAX} characters.`] });
  }
  const endsAt = input.endsAt ?? null;
  if (endsAt !== null && (Number.isNaN(endsAt.getTime()) || endsAt <= scope.services.clock.now())) {
    problems.push({ field: 'endsAt', messages: ['Must be in the future.'] });
  }
  if (problems.length) throw new ValidationFailedError(problems);
  return { message, endsAt };
}

async function assertMayChange(scope: RequestScope): Promise<void> {
  if (isOperator(scope)) return;
  if (!(await viewerAccess(scope)).can(PERMISSIONS.maintenanceWrite)) {
    throw forbidden(`Changing maintenance mode needs the permission \`${PERMISSIONS.maintenanceWrite}\`.`);
  }
}

/**
 * Turns maintenance mode on or off (off clears the message and end time), records it in the audit
 * log, and publishes the new state to subscribers at once.
 */
export async function setMaintenanceMode(scope: RequestScope, input: MaintenanceInput): Promise<MaintenanceState> {
  await assertMayChange(scope);
  const checked = checkInput(scope, input);
  const enabled = input.enabled;
  const stored: StoredMaintenance = {
    enabled,
    message: enabled ? checked.message : null,
    endsAt: enabled ? (checked.endsAt?.toISOString() ?? null) : null,
  };
  const updatedAt = scope.services.clock.now();
  const updatedBy = scope.viewer?.email ?? null;
  await scope.em.transactional(async (tx) => {
    await tx.upsert(SystemSetting, { key: MAINTENANCE_KEY, value: { ...stored }, updatedAt, updatedBy });
    await recordAudit(
      { ...scope, em: tx },
      {
        action: enabled ? MAINTENANCE_AUDIT_ACTIONS.on : MAINTENANCE_AUDIT_ACTIONS.off,
        targetType: 'setting',
        targetId: MAINTENANCE_KEY,
        details: enabled ? { message: stored.message, endsAt: stored.endsAt } : {},
      },
    );
  });
  const state: MaintenanceState = { ...stored, endsAt: stored.endsAt ? new Date(stored.endsAt) : null, updatedAt, updatedBy };
  scope.services.maintenance.update(state);
  return state;
}

/**
 * The current state at once, then every change (published by any path), for one subscriber.
 * Ends (and unsubscribes from the topic) when the subscriber goes away.
 */
export function maintenanceStates(services: Pick<Services, 'pubsub' | 'maintenance'>): AsyncIterable<MaintenanceState> {
  return new Repeater<MaintenanceState>(async (push, stop) => {
    // The topic's listener is added by the loop's first next(), in the same synchronous run as
    // reading the current state: no change can fall between the two.
    const changes = services.pubsub.subscribe('maintenance:changed');
    let last = services.maintenance.current;
    void push(last);
    void stop.then(() => changes.return?.());
    for await (const state of changes) {
      // A change published while subscribing may already be the state sent first.
      if (sameMaintenanceState(state, last)) continue;
      last = state;
      await push(state);
    }
    stop();
  });
}

/** Follows maintenance changes another process stored (realtime/outside-changes.ts). */
export function maintenanceFollower(services: Pick<Services, 'orm' | 'maintenance' | 'logger'>): OutsideChangeHandler {
  return {
    name: 'maintenance',
    async run() {
      if (await services.maintenance.reload(services.orm.em.fork())) {
        services.logger.info({ maintenance: services.maintenance.current.enabled }, 'maintenance mode changed by another process');
      }
    },
  };
}

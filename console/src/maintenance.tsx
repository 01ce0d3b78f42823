// Maintenance mode on every page: useMaintenance() reads the state once (`maintenance`) and then
// follows `maintenanceModeChanged` over the console's live socket (allowed for anyone, signed in or
// not, and during maintenance); <MaintenanceBanner/>, mounted once by the shell, announces it in a
// polite live region. Also the console's conversions of times to and from the viewer's time zone.
import { useEffect, useState } from 'preact/hooks';
import { ConsoleMaintenanceChangedDocument, ConsoleMaintenanceDocument, type ConsoleMaintenanceStateFragment } from './generated/graphql.ts';
import { messageOf, request } from './api.ts';
import { subscribe } from './live.ts';

export type MaintenanceState = ConsoleMaintenanceStateFragment;

/**
 * The maintenance state, kept current: `state` is null until the first answer; `error` is set
 * when the state cannot be read. `set` lets a page show a state it just read itself.
 */
export function useMaintenance(): { state: MaintenanceState | null; error: string | null; set: (state: MaintenanceState) => void } {
  const [state, setState] = useState<MaintenanceState | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let active = true;
    let pushed = false;
    let stop = () => {};
    const follow = () => {
      stop = subscribe(
        ConsoleMaintenanceChangedDocument,
        {},
        (data) => {
          if (!active || !data.maintenanceModeChanged) return;
          pushed = true;
          setState(data.maintenanceModeChanged);
          setError(null);
        },
        () => {},
        // Completed by closeLive() (a sign-in or sign-out): follow on the new socket.
        () => active && follow(),
      );
    };
    follow();
    request(ConsoleMaintenanceDocument)
      // A pushed state is at least as new as the answer to this query.
      .then((data) => active && !pushed && setState(data.maintenance))
      .catch((e: unknown) => active && !pushed && setError(messageOf(e)));
    return () => {
      active = false;
      stop();
    };
  }, []);

  return { state, error, set: setState };
}

/** The banner above every page while maintenance mode is on; the region is always there, so a change is announced. */
export function MaintenanceBanner() {
  const { state } = useMaintenance();
  return (
    <div class="maintenance-banner" aria-live="polite" aria-atomic="true">
      {state?.enabled && (
        <p>
          <strong>Maintenance mode is on.</strong> {state.message ?? 'Some operations are unavailable for now.'}
          {state.endsAt && (
            <>
              {' '}
              Expected to end <time dateTime={state.endsAt}>{localTime(state.endsAt)}</time>.
            </>
          )}
        </p>
      )}
    </div>
  );
}

/** A DateTime shown in the viewer's time zone and locale, e.g. "1 May 2030, 14:30". */
export function localTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** The value of an <input type="datetime-local"> (the viewer's local time) as a DateTime; null when empty or invalid. */
export function fromLocalInput(value: string): string | null {
  if (!value) return null;
  // A date-time without an offset is local time (ECMAScript Date parsing).
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** A DateTime as the value of an <input type="datetime-local">, in the viewer's local time. */
export function toLocalInput(iso: string): string {
  const date = new Date(iso);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}T${two(date.getHours())}:${two(date.getMinutes())}`;
}

// Maintenance mode: the current state (live), and for holders of maintenance:write the switch with
// a message and an expected end (a datetime-local input in the viewer's time zone, sent as a UTC
// DateTime). Turning it on asks first: everyone without the permission is refused meanwhile.
import { useEffect, useId, useState } from 'preact/hooks';
import { ConsoleMaintenanceDocument, ConsoleSetMaintenanceModeDocument, type SetMaintenanceModeInput } from '../generated/graphql.ts';
import { expect, request } from '../api.ts';
import { ConfirmButton, ErrorMessage, Field, Status, useAction } from '../components.tsx';
import { fromLocalInput, localTime, toLocalInput, useMaintenance, type MaintenanceState } from '../maintenance.tsx';
import { useViewer } from '../viewer.ts';

/** Server-side limit of the message (SetMaintenanceModeInput.message). */
const MESSAGE_MAX = 500;

export function MaintenancePage() {
  const { can } = useViewer();
  const { state, error, set } = useMaintenance();
  return (
    <main id="main">
      <h1>Maintenance</h1>
      <ErrorMessage message={error} />
      {!state && !error && <p role="status">Loading the maintenance state…</p>}
      {state && <CurrentState state={state} />}
      {state &&
        (can('maintenance:write') ? (
          <MaintenanceForm state={state} onChanged={set} />
        ) : (
          <p class="hint">Changing maintenance mode needs the permission maintenance:write.</p>
        ))}
    </main>
  );
}

function CurrentState({ state }: { state: MaintenanceState }) {
  return (
    <section aria-labelledby="maintenance-now">
      <h2 id="maintenance-now">Now</h2>
      <dl class="facts">
        <dt>Maintenance mode</dt>
        <dd>
          <strong>{state.enabled ? 'On' : 'Off'}</strong>
          {state.enabled ? ': only accounts with maintenance:write can use the server.' : ': everyone can use the server.'}
        </dd>
        {state.enabled && (
          <>
            <dt>Message</dt>
            <dd>{state.message ?? <span class="empty">No message</span>}</dd>
            <dt>Expected end</dt>
            <dd>{state.endsAt ? <time dateTime={state.endsAt}>{localTime(state.endsAt)}</time> : <span class="empty">Not announced</span>}</dd>
          </>
        )}
        {state.updatedAt && (
          <>
            <dt>Last changed</dt>
            <dd>
              <time dateTime={state.updatedAt}>{localTime(state.updatedAt)}</time>
              {state.updatedBy ? ` by ${state.updatedBy}` : ''}
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}

function MaintenanceForm({ state, onChanged }: { state: MaintenanceState; onChanged: (state: MaintenanceState) => void }) {
  const [message, setMessage] = useState(state.message ?? '');
  const [endsAt, setEndsAt] = useState(state.endsAt ? toLocalInput(state.endsAt) : '');
  const [done, setDone] = useState<string | null>(null);
  const action = useAction();
  const messageId = useId();

  // A change from elsewhere (another admin, the command line) shows up in the form too.
  useEffect(() => {
    setMessage(state.message ?? '');
    setEndsAt(state.endsAt ? toLocalInput(state.endsAt) : '');
  }, [state.enabled, state.message, state.endsAt]);

  const change = async (enabled: boolean) => {
    setDone(null);
    const input: SetMaintenanceModeInput = enabled ? { enabled, message: message.trim() || null, endsAt: fromLocalInput(endsAt) } : { enabled };
    expect((await request(ConsoleSetMaintenanceModeDocument, { input })).setMaintenanceMode, 'MaintenanceState');
    onChanged((await request(ConsoleMaintenanceDocument)).maintenance);
    setDone(enabled ? (state.enabled ? 'Changes saved.' : 'Maintenance mode is on.') : 'Maintenance mode is off.');
  };

  return (
    <section aria-labelledby="maintenance-change">
      <h2 id="maintenance-change">{state.enabled ? 'Change or turn off' : 'Turn on'}</h2>
      <form onSubmit={(e) => e.preventDefault()} aria-busy={action.busy}>
        <label for={messageId}>Message to users</label>
        <textarea id={messageId} rows={3} maxLength={MESSAGE_MAX} value={message} onInput={(e) => setMessage(e.currentTarget.value)} aria-describedby={`${messageId}-hint`} />
        <p id={`${messageId}-hint`} class="hint">
          Shown in the banner on every page (at most {MESSAGE_MAX} characters).
        </p>
        <Field label="Expected end (your local time)" hint="Optional. Only announced: the mode stays on until it is turned off." type="datetime-local" value={endsAt} onValue={setEndsAt} />
      </form>
      <ErrorMessage message={action.error} />
      <Status message={done} />
      <div class="row">
        {state.enabled ? (
          <>
            <button type="button" disabled={action.busy} onClick={() => void action.run(() => change(true))}>
              {action.busy ? 'Saving…' : 'Save changes'}
            </button>
            <button type="button" class="secondary" disabled={action.busy} onClick={() => void action.run(() => change(false))}>
              Turn off maintenance mode
            </button>
          </>
        ) : (
          <ConfirmButton label="Turn on maintenance mode" title="Turn on maintenance mode?" confirmLabel="Turn on" danger onConfirm={() => change(true)}>
            <p>
              While it is on, everyone without the permission maintenance:write is refused: they can sign in and see the
              banner, but nothing else works until you turn it off.
            </p>
          </ConfirmButton>
        )}
      </div>
    </section>
  );
}

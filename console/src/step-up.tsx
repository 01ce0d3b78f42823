// Step-up for sensitive operations: the server answers REAUTHENTICATION_REQUIRED when the sign-in
// is older than STEP_UP_WINDOW. withStepUp() then opens one dialog (mounted once by the shell)
// asking for the password or an authenticator code, calls reauthenticate, and runs the action
// again; cancelling rejects with the original refusal.
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError, expect, messageOf, request } from './api.ts';
import { ConsoleReauthenticateDocument } from './generated/graphql.ts';

type Pending = { resolve: () => void; reject: (error: unknown) => void; refusal: ApiError };
let show: ((pending: Pending) => void) | null = null;

export async function withStepUp(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== 'REAUTHENTICATION_REQUIRED' || !show) throw error;
    const open = show;
    await new Promise<void>((resolve, reject) => open({ resolve, reject, refusal: error }));
    await action();
  }
}

export function StepUpDialog() {
  const dialog = useRef<HTMLDialogElement>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const titleId = useId();
  const inputId = useId();

  useEffect(() => {
    show = (next) => {
      setPending(next);
      setSecret('');
      setError(null);
      dialog.current?.showModal();
    };
    return () => {
      show = null;
    };
  }, []);

  const cancel = () => {
    dialog.current?.close();
    pending?.reject(pending.refusal);
    setPending(null);
  };
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const value = secret.replace(/\s+/g, '');
      const input = /^\d{6}$/.test(value) ? { totp: value } : { password: secret };
      expect((await request(ConsoleReauthenticateDocument, { input })).reauthenticate, 'Reauthenticated');
      dialog.current?.close();
      pending?.resolve();
      setPending(null);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog ref={dialog} aria-labelledby={titleId} onCancel={(e) => (e.preventDefault(), cancel())}>
      <form onSubmit={(e) => void submit(e)} aria-busy={busy}>
        <h2 id={titleId}>Confirm it is you</h2>
        <p>This action needs a recent sign-in. Enter your password, or the 6-digit code from your authenticator app.</p>
        <label for={inputId}>Password or code</label>
        <input id={inputId} type="password" autocomplete="current-password" required value={secret} onInput={(e) => setSecret(e.currentTarget.value)} />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="row">
          <button type="submit" disabled={busy}>
            {busy ? 'Checking…' : 'Confirm'}
          </button>
          <button type="button" class="secondary" disabled={busy} onClick={cancel}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}

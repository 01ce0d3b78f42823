// Small building blocks every page uses: the server's error in an alert, a labelled field, an
// action button that shows progress and the server's typed error, and a confirmation dialog
// (native <dialog>: modal, focus kept inside, Escape cancels) for anything destructive.
import type { ComponentChildren, InputHTMLAttributes } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { messageOf } from './api.ts';
import { withStepUp } from './step-up.tsx';

export function ErrorMessage({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <p class="error" role="alert">
      {message}
    </p>
  );
}

/** A label above its input; `hint` and `error` (a field's problem, e.g. from ValidationError) are read out with the input (aria-describedby). */
interface InputProps {
  type?: 'text' | 'email' | 'password' | 'search' | 'number' | 'datetime-local' | 'url';
  name?: string;
  autocomplete?: string;
  placeholder?: string;
  required?: boolean;
  disabled?: boolean;
  autoFocus?: boolean;
  maxLength?: number;
  minLength?: number;
  inputMode?: 'numeric' | 'text' | 'email';
}

export function Field({
  label,
  hint,
  error,
  value,
  onValue,
  type = 'text',
  ...input
}: { label: string; hint?: string; error?: string | null; value: string; onValue: (value: string) => void } & InputProps) {
  const id = useId();
  const describedBy = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ') || undefined;
  // Preact types <input> as a union by `type`; a `type` chosen at run time needs the cast.
  const attributes = { ...input, type, id, value, 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined } as InputHTMLAttributes<HTMLInputElement>;
  return (
    <>
      <label for={id}>{label}</label>
      <input {...attributes} onInput={(e) => onValue(e.currentTarget.value)} />
      {hint && (
        <p id={`${id}-hint`} class="hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} class="field-error">
          {error}
        </p>
      )}
    </>
  );
}

/**
 * Runs one action at a time: `busy` while it runs, the thrown error's message in `error`.
 * A REAUTHENTICATION_REQUIRED refusal asks the viewer to confirm it is them, then runs it again.
 */
export function useAction(): { busy: boolean; error: string | null; run: (action: () => Promise<void>) => Promise<boolean>; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );
  const run = async (action: () => Promise<void>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await withStepUp(action);
      return true;
    } catch (e) {
      if (mounted.current) setError(messageOf(e));
      return false;
    } finally {
      if (mounted.current) setBusy(false);
    }
  };
  return { busy, error, run, clear: () => setError(null) };
}

/**
 * A button that asks first: a modal dialog says what will happen; only "confirm" runs `onConfirm`.
 * The dialog stays open with the server's error when the action fails.
 */
export function ConfirmButton({
  label,
  title,
  children,
  confirmLabel,
  danger = false,
  disabled = false,
  onConfirm,
}: {
  label: string;
  title: string;
  children: ComponentChildren;
  confirmLabel?: string;
  danger?: boolean;
  disabled?: boolean;
  onConfirm: () => Promise<void>;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const action = useAction();
  const open = () => {
    action.clear();
    dialog.current?.showModal();
  };
  const confirm = async (event: Event) => {
    event.preventDefault();
    if (await action.run(onConfirm)) dialog.current?.close();
  };
  return (
    <>
      <button type="button" class={danger ? 'danger' : undefined} disabled={disabled} onClick={open}>
        {label}
      </button>
      <dialog ref={dialog} aria-labelledby={titleId}>
        <form method="dialog" onSubmit={(e) => void confirm(e)} aria-busy={action.busy}>
          <h2 id={titleId}>{title}</h2>
          <div>{children}</div>
          <ErrorMessage message={action.error} />
          <div class="row">
            <button type="submit" class={danger ? 'danger' : undefined} disabled={action.busy}>
              {action.busy ? 'Working…' : (confirmLabel ?? label)}
            </button>
            <button type="button" class="secondary" disabled={action.busy} onClick={() => dialog.current?.close()}>
              Cancel
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}

/** A polite status line ("Saved.", "Backup created."), announced by screen readers. */
export function Status({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <p class="notice" role="status">
      {message}
    </p>
  );
}

// Small building blocks every page uses: the server's error in an alert, a labelled field, an
// action button that shows progress and the server's typed error, and a confirmation dialog
// (native <dialog>: modal, focus kept inside, Escape cancels) for anything destructive.
import type { ComponentChildren, InputHTMLAttributes } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError, messageOf } from './api.ts';
import { withStepUp } from './step-up.tsx';

export function ErrorMessage({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <p class="error" role="alert">
      {message}
    </p>
  );
}

/**
 * A label above its input; `hint` and the server's `errors` for the field (a ValidationError's
 * messages) are read out with the input (aria-describedby), which is then marked invalid.
 */
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
  errors,
  value,
  onValue,
  type = 'text',
  ...input
}: { label: string; hint?: string; errors?: readonly string[]; value: string; onValue: (value: string) => void } & InputProps) {
  const id = useId();
  const invalid = !!errors?.length;
  const describedBy = [hint && `${id}-hint`, invalid && `${id}-errors`].filter(Boolean).join(' ') || undefined;
  // Preact types <input> as a union by `type`; a `type` chosen at run time needs the cast.
  const attributes = { ...input, type, id, value, 'aria-describedby': describedBy, 'aria-invalid': invalid || undefined } as InputHTMLAttributes<HTMLInputElement>;
  return (
    <>
      <label for={id}>{label}</label>
      <input {...attributes} onInput={(e) => onValue(e.currentTarget.value)} />
      {hint && (
        <p id={`${id}-hint`} class="hint">
          {hint}
        </p>
      )}
      <FieldErrors id={`${id}-errors`} errors={errors} />
    </>
  );
}

/** The server's messages for one field, under it (the field points here with aria-describedby). */
export function FieldErrors({ id, errors }: { id: string; errors: readonly string[] | undefined }) {
  if (!errors?.length) return null;
  return (
    <ul id={id} class="field-errors">
      {errors.map((message) => (
        <li key={message}>{message}</li>
      ))}
    </ul>
  );
}

export interface Action {
  busy: boolean;
  /** The thrown error's message (the server's), or null. */
  error: string | null;
  /** A VALIDATION_FAILED refusal's messages by input field (empty otherwise). */
  fields: Readonly<Record<string, readonly string[]>>;
  run: (action: () => Promise<void>) => Promise<boolean>;
  clear: () => void;
}

/**
 * Runs one action at a time: `busy` while it runs, the thrown error's message in `error` and a
 * ValidationError's field problems in `fields`. A REAUTHENTICATION_REQUIRED refusal asks the
 * viewer to confirm it is them, then runs it again.
 */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string[]>>({});
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
    setFields({});
    try {
      await withStepUp(action);
      return true;
    } catch (e) {
      if (mounted.current) {
        setError(messageOf(e));
        if (e instanceof ApiError) setFields(Object.fromEntries(e.fields.map((f) => [f.field, f.messages])));
      }
      return false;
    } finally {
      if (mounted.current) setBusy(false);
    }
  };
  return { busy, error, fields, run, clear: () => (setError(null), setFields({})) };
}

/**
 * What a form's alert says after a refusal: the server's message, or, when every problem is shown
 * beside a field of `shown`, a pointer to them.
 */
export function formError(action: Pick<Action, 'error' | 'fields'>, shown: readonly string[]): string | null {
  const named = Object.keys(action.fields);
  if (named.length && named.every((field) => shown.includes(field))) return 'Some fields need a change: see the messages below them.';
  return action.error;
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
  onOpen,
  onConfirm,
}: {
  label: string;
  title: string;
  children: ComponentChildren;
  confirmLabel?: string;
  danger?: boolean;
  disabled?: boolean;
  /** Before the dialog opens (e.g. to empty a form inside it). */
  onOpen?: () => void;
  onConfirm: () => Promise<void>;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const action = useAction();
  const open = () => {
    action.clear();
    onOpen?.();
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

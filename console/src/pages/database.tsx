// The database (SQLite): its backups (database:read), a download of a fresh copy, and for holders of
// database:write creating, restoring and deleting backups and uploading a file that replaces the
// data (with its progress). Restore and upload ask first; afterwards the page checks whether the
// viewer's session is in the new data and, if not, says so and offers to sign in again.
import { useEffect, useId, useState } from 'preact/hooks';
import {
  ConsoleBackupsDocument,
  ConsoleCreateBackupDocument,
  ConsoleCreateDatabaseDownloadLinkDocument,
  ConsoleDatabaseViewerDocument,
  ConsoleDeleteBackupDocument,
  ConsoleRestoreBackupDocument,
  ConsoleUploadDatabaseDocument,
  type BackupKind,
  type ConsoleBackupFragment,
  type ConsoleDatabaseReplacedFragment,
} from '../generated/graphql.ts';
import { expect, messageOf, request } from '../api.ts';
import { ConfirmButton, ErrorMessage, Field, Status, useAction } from '../components.tsx';
import { localTime } from '../maintenance.tsx';
import { upload, type UploadProgress } from '../upload.ts';
import { useViewer } from '../viewer.ts';

type Backup = ConsoleBackupFragment;

export function DatabasePage() {
  const { can, reload } = useViewer();
  const mayWrite = can('database:write');
  const [backups, setBackups] = useState<Backup[] | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [signedOut, setSignedOut] = useState(false);

  const loadBackups = async () => {
    try {
      setBackups((await request(ConsoleBackupsDocument)).backups);
      setListError(null);
    } catch (e) {
      setListError(messageOf(e));
    }
  };
  useEffect(() => {
    void loadBackups();
  }, []);

  /** After a restore or upload: the viewer's session may not be in the new data. */
  const replaced = async (result: ConsoleDatabaseReplacedFragment) => {
    const migrated = result.migrationsApplied.length ? ` ${result.migrationsApplied.length} migration(s) were applied to it.` : '';
    setDone(`The database was replaced with ${result.source}.${migrated} The data as it was before is kept in the backup ${result.safetyBackup.name}.`);
    const { viewer } = await request(ConsoleDatabaseViewerDocument);
    if (!viewer) return setSignedOut(true);
    await reload();
    await loadBackups();
  };

  return (
    <main id="main">
      <h1>Database</h1>
      <Status message={done} />
      {signedOut && (
        <div class="notice" role="alert">
          <p>Your session is not in the new data, so you are signed out.</p>
          <button type="button" onClick={() => void reload()}>
            Sign in again
          </button>
        </div>
      )}
      {!signedOut && (
        <>
          <section aria-labelledby="backups-title">
            <h2 id="backups-title">Backups</h2>
            {mayWrite && <CreateBackup onCreated={async (b) => (setDone(`Backup ${b.name} created.`), await loadBackups())} />}
            <ErrorMessage message={listError} />
            {!backups && !listError && <p role="status">Loading backups…</p>}
            {backups && backups.length === 0 && <p class="empty">There are no backups yet.</p>}
            {backups && backups.length > 0 && (
              <BackupTable
                backups={backups}
                mayWrite={mayWrite}
                onDeleted={async (name) => (setDone(`Backup ${name} deleted.`), await loadBackups())}
                onRestored={replaced}
              />
            )}
          </section>
          {can('database:read') && <Download />}
          {mayWrite && <Upload onReplaced={replaced} />}
        </>
      )}
    </main>
  );
}

function CreateBackup({ onCreated }: { onCreated: (backup: Backup) => Promise<void> }) {
  const [label, setLabel] = useState('');
  const action = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const backup = expect((await request(ConsoleCreateBackupDocument, { input: { label: label.trim() || null } })).createBackup, 'Backup');
      setLabel('');
      await onCreated(backup);
    });
  };
  return (
    <form class="create-backup" onSubmit={submit} aria-busy={action.busy}>
      <Field label="Label (optional)" hint="What the backup is for, e.g. “before the import”." maxLength={200} value={label} onValue={setLabel} />
      <ErrorMessage message={action.error} />
      <button type="submit" disabled={action.busy}>
        {action.busy ? 'Creating backup…' : 'Create backup'}
      </button>
    </form>
  );
}

function BackupTable({
  backups,
  mayWrite,
  onDeleted,
  onRestored,
}: {
  backups: Backup[];
  mayWrite: boolean;
  onDeleted: (name: string) => Promise<void>;
  onRestored: (result: ConsoleDatabaseReplacedFragment) => Promise<void>;
}) {
  return (
    <table class="backups">
      <caption class="visually-hidden">Backups, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Kind</th>
          <th scope="col">Label</th>
          <th scope="col">Size</th>
          <th scope="col">Created</th>
          {mayWrite && <th scope="col">Actions</th>}
        </tr>
      </thead>
      <tbody>
        {backups.map((backup) => (
          <tr key={backup.name}>
            <th scope="row" data-label="Name">
              {backup.name}
            </th>
            <td data-label="Kind">{KIND_LABELS[backup.kind]}</td>
            <td data-label="Label">{backup.label}</td>
            <td data-label="Size">{formatSize(backup.sizeBytes)}</td>
            <td data-label="Created">
              <time dateTime={backup.createdAt}>{localTime(backup.createdAt)}</time>
            </td>
            {mayWrite && (
              <td data-label="Actions">
                <div class="row">
                  <ConfirmButton
                    label="Restore"
                    title="Replace the current data with this backup?"
                    confirmLabel="Replace the current data"
                    danger
                    onConfirm={async () => onRestored(expect((await request(ConsoleRestoreBackupDocument, { input: { name: backup.name } })).restoreBackup, 'DatabaseReplaced'))}
                  >
                    <p>
                      <strong>All current data is replaced</strong> by the data of <code>{backup.name}</code>, taken {localTime(backup.createdAt)}: accounts,
                      roles, sessions, tokens, the audit log and the maintenance state. Everything changed since then is lost.
                    </p>
                    <p>A safety backup of the current data is taken first. Sessions that are not in the backup end: if yours is newer than the backup, you are signed out.</p>
                  </ConfirmButton>
                  <ConfirmButton
                    label="Delete"
                    title="Delete this backup?"
                    confirmLabel="Delete backup"
                    danger
                    onConfirm={async () => {
                      const deleted = expect((await request(ConsoleDeleteBackupDocument, { input: { name: backup.name } })).deleteBackup, 'DeletedBackup');
                      await onDeleted(deleted.name);
                    }}
                  >
                    <p>
                      The file <code>{backup.name}</code> is removed from the server. This cannot be undone.
                    </p>
                  </ConfirmButton>
                </div>
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Download() {
  const action = useAction();
  const [started, setStarted] = useState<string | null>(null);
  const download = () =>
    void action.run(async () => {
      setStarted(null);
      const link = expect((await request(ConsoleCreateDatabaseDownloadLinkDocument)).createDatabaseDownloadLink, 'DatabaseDownloadLink');
      // The link is single-use and answers as an attachment: the browser downloads it and stays here.
      const anchor = document.createElement('a');
      anchor.href = link.url;
      anchor.download = '';
      anchor.click();
      setStarted('The download has started.');
    });
  return (
    <section aria-labelledby="download-title">
      <h2 id="download-title">Download a copy</h2>
      <p>A fresh, consistent snapshot of the live database, as a SQLite file.</p>
      <ErrorMessage message={action.error} />
      <Status message={started} />
      <div class="row">
        <button type="button" disabled={action.busy} onClick={download}>
          {action.busy ? 'Preparing the download…' : 'Download the database'}
        </button>
      </div>
    </section>
  );
}

function Upload({ onReplaced }: { onReplaced: (result: ConsoleDatabaseReplacedFragment) => Promise<void> }) {
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const inputId = useId();

  const send = async () => {
    if (!file) return;
    setProgress({ loaded: 0, total: file.size });
    try {
      const data = await upload(ConsoleUploadDatabaseDocument, { input: { file } }, setProgress);
      await onReplaced(expect(data.uploadDatabase, 'DatabaseReplaced'));
    } finally {
      setProgress(null);
    }
  };

  return (
    <section aria-labelledby="upload-title">
      <h2 id="upload-title">Replace with an uploaded file</h2>
      <label class="block" for={inputId}>
        Database file
      </label>
      <input
        id={inputId}
        type="file"
        accept=".db,.sqlite,.sqlite3,application/vnd.sqlite3,application/x-sqlite3"
        aria-describedby={`${inputId}-hint`}
        onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
      />
      <p id={`${inputId}-hint`} class="hint">
        A Gatehouse SQLite database, e.g. a downloaded copy. The server checks it before it replaces anything.
      </p>
      <div class="row">
        <ConfirmButton label="Upload and replace" title="Replace the current data with this file?" confirmLabel="Replace the current data" danger disabled={!file} onConfirm={send}>
          <p>
            <strong>All current data is replaced</strong> by the data in <code>{file?.name}</code> ({formatSize(file?.size ?? 0)}): accounts, roles,
            sessions, tokens, the audit log and the maintenance state.
          </p>
          <p>A safety backup of the current data is taken first. Sessions that are not in the file end: if yours is not in it, you are signed out.</p>
          {progress && <UploadBar progress={progress} />}
        </ConfirmButton>
      </div>
    </section>
  );
}

function UploadBar({ progress }: { progress: UploadProgress }) {
  const sent = progress.total !== null && progress.loaded >= progress.total;
  return (
    <div class="upload-progress">
      <progress aria-label="Upload progress" max={progress.total ?? undefined} value={progress.total === null ? undefined : progress.loaded} />
      <p role="status">
        {sent
          ? 'Uploaded. The server is checking the file…'
          : `Uploading… ${formatSize(progress.loaded)}${progress.total === null ? '' : ` of ${formatSize(progress.total)}`}`}
      </p>
    </div>
  );
}

const KIND_LABELS: Record<BackupKind, string> = { MANUAL: 'Manual', SCHEDULED: 'Scheduled', SAFETY: 'Safety (before a replace)' };

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

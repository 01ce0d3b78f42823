// The backups folder: one SQLite file per backup with a server-generated name, and beside it a
// small JSON file with what the name cannot say (label, kind, size). The metadata stays out of the
// database on purpose: a restore replaces the database, but must not forget its own backups.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ValidationFailedError } from '../errors.ts';
import { fsyncDir, writeFileAtomic } from './files.ts';

export type BackupKind = 'manual' | 'scheduled' | 'safety';

export interface Backup {
  name: string;
  sizeBytes: number;
  createdAt: Date;
  label: string | null;
  kind: BackupKind;
}

/** What the sidecar JSON holds. */
interface StoredBackup {
  name: string;
  createdAt: string;
  label: string | null;
  kind: BackupKind;
  sizeBytes: number;
  /** Who asked for it: an admin's email, "cli", or "system". */
  createdBy: string;
}

/** Server-generated names only: the time and a random part, nothing a client could steer. */
const NAME = /^gatehouse-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-[0-9a-f]{8}\.db$/;
export const LABEL_MAX = 200;

export function newBackupName(at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `gatehouse-${stamp}-${randomBytes(4).toString('hex')}.db`;
}

export function isBackupName(name: string): boolean {
  return NAME.test(name);
}

/** A name from a client, checked against the pattern: no separators, no "..", no absolute path. */
export function checkBackupName(name: string): string {
  if (!isBackupName(name)) {
    throw ValidationFailedError.field('name', 'Not a backup name: use a name from `backups` (gatehouse-<time>-<id>.db).');
  }
  return name;
}

export function checkLabel(label: string | null | undefined): string | null {
  const trimmed = label?.trim() || null;
  if (trimmed === null) return null;
  if (trimmed.length > LABEL_MAX) throw ValidationFailedError.field('label', `At most ${LABEL_MAX} characters.`);
  // Control characters would garble the command-line listing.
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw ValidationFailedError.field('label', 'No control characters.');
  return trimmed;
}

const sidecarOf = (file: string) => `${file}.json`;

export class BackupCatalog {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  ensureDir(): void {
    mkdirSync(this.dir, { recursive: true });
  }

  pathOf(name: string): string {
    return join(this.dir, checkBackupName(name));
  }

  /** Records a finished backup file (already at its final path) and returns its entry. */
  async record(entry: Omit<StoredBackup, 'createdAt'> & { createdAt: Date }): Promise<Backup> {
    const stored: StoredBackup = { ...entry, createdAt: entry.createdAt.toISOString() };
    await writeFileAtomic(sidecarOf(join(this.dir, entry.name)), JSON.stringify(stored, null, 2) + '\n');
    return toBackup(stored);
  }

  /** Every backup, newest first. */
  async list(): Promise<Backup[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const backups = await Promise.all(names.filter(isBackupName).map((name) => this.#read(name)));
    return backups
      .filter((b): b is Backup => b !== null)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.name < b.name ? 1 : -1));
  }

  async find(name: string): Promise<Backup | null> {
    return this.#read(checkBackupName(name));
  }

  /** Deletes a backup and its metadata; false when there was none. */
  async delete(name: string): Promise<boolean> {
    const file = this.pathOf(name);
    const existed = (await this.#read(name)) !== null;
    await rm(file, { force: true });
    await rm(sidecarOf(file), { force: true });
    fsyncDir(this.dir);
    return existed;
  }

  /**
   * Keeps the `keep` newest automatic backups (scheduled and safety); manual ones stay until an admin
   * deletes them, and the newest safety backup (the one taken before the last restore) always stays.
   */
  async applyRetention(keep: number): Promise<string[]> {
    const automatic = (await this.list()).filter((b) => b.kind !== 'manual');
    const lastSafety = automatic.find((b) => b.kind === 'safety');
    const doomed = automatic.slice(keep).filter((b) => b !== lastSafety);
    for (const backup of doomed) await this.delete(backup.name);
    return doomed.map((b) => b.name);
  }

  async #read(name: string): Promise<Backup | null> {
    const file = join(this.dir, name);
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    let stored: Partial<StoredBackup> = {};
    try {
      stored = JSON.parse(await readFile(sidecarOf(file), 'utf8')) as Partial<StoredBackup>;
    } catch {
      // A backup copied in by hand (or whose sidecar was lost) is still listed, as a manual one.
    }
    return toBackup({
      name,
      createdAt: typeof stored.createdAt === 'string' ? stored.createdAt : timeInName(name),
      label: typeof stored.label === 'string' ? stored.label : null,
      kind: stored.kind === 'scheduled' || stored.kind === 'safety' ? stored.kind : 'manual',
      sizeBytes: size,
      createdBy: typeof stored.createdBy === 'string' ? stored.createdBy : 'unknown',
    });
  }
}

function timeInName(name: string): string {
  const [, y, mo, d, h, mi, s, ms] = NAME.exec(name)!;
  return `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`;
}

function toBackup(stored: StoredBackup): Backup {
  return { name: stored.name, sizeBytes: stored.sizeBytes, createdAt: new Date(stored.createdAt), label: stored.label, kind: stored.kind };
}

// The long-lived part of database administration in a process (services.database): the request
// gate a swap closes, the worker thread, the single-use download links, and one queue so that
// backups, snapshots and replacements run one at a time.
import type { Config } from '../config/index.ts';
import { BackupCatalog } from './catalog.ts';
import { DownloadLinks } from './download-links.ts';
import { DatabaseGate } from './gate.ts';
import { DatabaseWorker } from './worker-client.ts';

declare module '../context.ts' {
  interface Services {
    /** Backups, restores and the gate requests pass while the database file is swapped. */
    database: DatabaseRuntime;
  }
}

export class DatabaseRuntime {
  readonly gate = new DatabaseGate();
  readonly worker = new DatabaseWorker();
  readonly downloads = new DownloadLinks();
  readonly catalog: BackupCatalog;
  readonly #replacedHooks = new Set<() => Promise<void>>();
  #tail: Promise<unknown> = Promise.resolve();
  #queued = 0;

  constructor(config: Pick<Config, 'backup'>) {
    this.catalog = new BackupCatalog(config.backup.dir);
  }

  /**
   * Runs `task` after every earlier one has finished. A request waiting here steps out of the gate
   * meanwhile: the task ahead may be a restore waiting for the requests in the gate to finish.
   */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.gate.outside(() => {
      this.#queued++;
      const run = this.#tail.then(task).finally(() => this.#queued--);
      this.#tail = run.catch(() => undefined);
      return run;
    });
  }

  /** Tasks queued or running (`exclusive`). */
  get queued(): number {
    return this.#queued;
  }

  /** `hook` runs after every replacement of the database (e.g. to end live connections). */
  onReplaced(hook: () => Promise<void>): () => void {
    this.#replacedHooks.add(hook);
    return () => this.#replacedHooks.delete(hook);
  }

  /** Runs the hooks; one failing does not stop the others (the replacement itself is done). */
  async replaced(onError: (error: unknown) => void): Promise<void> {
    for (const hook of this.#replacedHooks) await hook().catch(onError);
  }

  async close(): Promise<void> {
    // A backup in progress finishes first (its file would be left half-written otherwise).
    await this.#tail;
    await this.worker.close();
  }
}

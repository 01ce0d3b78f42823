// One long-lived worker thread for the database work (worker.ts), started on first use and kept:
// starting a thread and loading better-sqlite3 costs ≈ 100 ms, more than a small backup. It is not
// started ahead of that use: an idle thread holds ≈ 20 MiB (its own V8 heap and TypeScript
// stripper). It never keeps the process alive, and a crash of the thread fails only the tasks it
// was running.
import { Worker } from 'node:worker_threads';
import type { BackupTask, InspectResult, WorkerReply, WorkerTask } from './worker-protocol.ts';

/** An error SQLite raised in the worker, with its code (e.g. SQLITE_CORRUPT, SQLITE_NOTADB). */
export class WorkerSqliteError extends Error {
  readonly sqliteCode: string | null;
  constructor(message: string, sqliteCode: string | null) {
    super(message);
    this.sqliteCode = sqliteCode;
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class DatabaseWorker {
  #worker: Worker | null = null;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();

  backup(source: string, dest: string): Promise<{ bytes: number }> {
    return this.#run({ kind: 'backup', source, dest } satisfies BackupTask) as Promise<{ bytes: number }>;
  }

  inspect(path: string, quick: boolean): Promise<InspectResult> {
    return this.#run({ kind: 'inspect', path, quick }) as Promise<InspectResult>;
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    if (worker) await worker.terminate();
  }

  #run(task: WorkerTask): Promise<unknown> {
    const worker = this.#thread();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // A task keeps the process alive until it is answered; an idle thread does not.
      worker.ref();
      worker.postMessage({ id, task });
    });
  }

  #thread(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL('./worker.ts', import.meta.url));
    worker.unref();
    worker.on('message', (reply: WorkerReply) => {
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) worker.unref();
      if (!pending) return;
      if (reply.error) pending.reject(new WorkerSqliteError(reply.error.message, reply.error.sqliteCode));
      else pending.resolve(reply.result);
    });
    const fail = (error: Error) => {
      if (this.#worker === worker) this.#worker = null;
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`database worker exited (code ${code})`)));
    this.#worker = worker;
    return worker;
  }
}

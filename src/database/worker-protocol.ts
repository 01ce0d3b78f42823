// The messages between the server and the database worker thread (worker.ts).

export interface BackupTask {
  kind: 'backup';
  source: string;
  dest: string;
}

export type WorkerTask = BackupTask | { kind: 'inspect'; path: string; quick: boolean };

export interface InspectResult {
  /** Lines of integrity_check / quick_check other than "ok" (at most 20). */
  problems: string[];
  tables: string[];
  /** Names in mikro_orm_migrations, oldest first; null when the table is missing or unreadable. */
  migrations: string[] | null;
}

export type WorkerReply =
  | { id: number; result: unknown; error?: undefined }
  | { id: number; error: { message: string; sqliteCode: string | null } };

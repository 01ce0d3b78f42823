// A running server leaves a pid file beside its database (`.<db>.server-<pid>.pid`), so that
// `gatehouse db restore` can tell it would replace the file under a live server. Several servers
// may share one file; a pid file whose process is gone is stale and removed by whoever finds it.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isProcessAlive } from './files.ts';

function pidFileName(livePath: string, pid: number): string {
  return `.${basename(livePath)}.server-${pid}.pid`;
}

/** Marks `livePath` as served by this process; returns the release. */
export function holdServerPidFile(livePath: string, startedAt: Date): () => void {
  const path = join(dirname(livePath), pidFileName(livePath, process.pid));
  writeFileSync(path, JSON.stringify({ pid: process.pid, startedAt: startedAt.toISOString() }) + '\n');
  return () => rmSync(path, { force: true });
}

/** The ids of other live processes serving `livePath` (stale pid files are removed). */
export function runningServers(livePath: string): number[] {
  const prefix = `.${basename(livePath)}.server-`;
  let names: string[];
  try {
    names = readdirSync(dirname(livePath));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const pids: number[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.pid')) continue;
    const pid = Number(name.slice(prefix.length, -'.pid'.length));
    if (pid === process.pid) continue;
    if (isProcessAlive(pid)) pids.push(pid);
    else rmSync(join(dirname(livePath), name), { force: true });
  }
  return pids;
}

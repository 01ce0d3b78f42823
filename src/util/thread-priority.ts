// Password hashing runs on libuv's thread pool; on a machine with few cores a burst of logins would
// take the CPU from the thread that answers every other request. Lowering the pool threads'
// scheduling priority (Linux: each thread has its own nice value) keeps other requests fast while
// logins still use every idle cycle. Elsewhere this is a no-op.
import { readdirSync, readFileSync } from 'node:fs';
import { setPriority } from 'node:os';

/** Nice value for the pool threads: the main thread (0) gets about 9× their CPU share when both want it. */
const POOL_NICENESS = 10;

let done = false;

/** Lowers the priority of libuv's pool threads, once they exist (call after the first pool task). */
export function deprioritizeThreadPool(): void {
  if (done || process.platform !== 'linux') return;
  done = true;
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      if (readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() === 'libuv-worker') setPriority(Number(tid), POOL_NICENESS);
    }
  } catch {
    // Without /proc or permission (a sandbox), requests only lose this isolation from logins; nothing breaks.
  }
}

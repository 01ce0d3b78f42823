// Startup leaves garbage (module sources, migrations, schema building, the password dictionaries'
// construction) and a young generation that V8 grew to 64–128 MiB while loading. V8's memory
// reducer would release them once the process is idle, but it judges idleness by the allocation
// rate of the last GCs, which startup's rate dominates: it runs only when its watchdog fires, about
// 100 s later. Until then an idle server holds 50–70 MiB it does not use. `gatehouse serve` runs
// that memory-reducing collection itself, once, before it listens.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFunction = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/**
 * A full, memory-reducing collection (V8's "last resort" flavour: compacts, shrinks the young
 * generation, releases freed pages). Blocks for a few hundred milliseconds; call it only before
 * requests are accepted.
 */
export function collectStartupGarbage(): void {
  // The gc function exists only in contexts created while --expose-gc is set; the flag is unset
  // again at once, so nothing else (e.g. the compile cache's flag check) sees it.
  setFlagsFromString('--expose-gc');
  let gc: GcFunction;
  try {
    gc = runInNewContext('gc') as GcFunction;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}

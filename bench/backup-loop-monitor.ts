// Preloaded into the server by bench/backup.ts (node --import): records the longest event-loop
// stall and reports it over IPC ("report" answers { maxMs } and starts a new measurement).
import { monitorEventLoopDelay } from 'node:perf_hooks';

const histogram = monitorEventLoopDelay({ resolution: 5 });
histogram.enable();
process.on('message', (message) => {
  if (message !== 'report') return;
  process.send?.({ maxMs: histogram.max / 1e6 });
  histogram.reset();
});
// The IPC channel must not keep the server alive on its own.
process.channel?.unref();

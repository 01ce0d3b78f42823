// The load driver: one autocannon run in a process of its own, started by bench/lib/load.ts for
// every load run, so the generator never shares an event loop (or a core's worth of JavaScript)
// with the driver that starts servers and collects results. It measures its own CPU use over
// the run (process.cpuUsage: every thread of this process) and prints one JSON line.
//
//   node bench/lib/load-driver.ts '<json: autocannon options>'
import autocannon from 'autocannon';

const options = JSON.parse(process.argv[2] ?? '{}') as autocannon.Options;
// A line before the run and one after it: the parent samples the server's CPU time at both.
process.stdout.write('{"started":true}\n');
const cpuBefore = process.cpuUsage();
const started = process.hrtime.bigint();
const result = await autocannon(options);
const wallMicros = Number(process.hrtime.bigint() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
process.stdout.write(
  `${JSON.stringify({
    requests: result.requests.total,
    latency: { p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.mean },
    non2xx: result.non2xx,
    errors: result.errors,
    cpuMicros: cpu.user + cpu.system,
    wallMicros,
  })}\n`,
);

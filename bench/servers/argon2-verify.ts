// Baseline for the login benchmark: raw argon2.verify with Gatehouse's parameters, CONCURRENCY
// verifications in flight at once for DURATION_SECONDS; prints {"verifications": n, "seconds": s}.
//
//   CONCURRENCY=4 DURATION_SECONDS=10 node bench/servers/argon2-verify.ts
import argon2 from 'argon2';
import { ARGON2_OPTIONS } from '../../src/accounts/passwords.ts';

const concurrency = Number(process.env.CONCURRENCY ?? 4);
const seconds = Number(process.env.DURATION_SECONDS ?? 10);
const password = 'Bench-admin-password-1234!';
const hash = await argon2.hash(password, ARGON2_OPTIONS);

let verifications = 0;
const started = performance.now();
const deadline = started + seconds * 1000;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) {
      if (!(await argon2.verify(hash, password))) throw new Error('verify failed');
      verifications++;
    }
  }),
);
process.stdout.write(`${JSON.stringify({ verifications, seconds: (performance.now() - started) / 1000 })}\n`);

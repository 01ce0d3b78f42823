// The SDK path a front-end team follows: codegen.ts generates typed documents from schema.graphql,
// their code type-checks against them, and the operations run against a live server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { linkIn } from '../helpers/smtp.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

describe('generated SDK', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    rmSync(join(root, 'test/sdk/generated'), { recursive: true, force: true });
  });
  after(() => server.close());

  test('codegen.ts generates a client that type-checks and runs against a live server', async () => {
    await run(bin('graphql-codegen'), ['--config', 'codegen.ts', '--silent'], {
      cwd: root,
      env: { ...process.env, GATEHOUSE_SDK_OUT: 'test/sdk/generated/' },
    });

    // Type errors in usage.ts (including unused @ts-expect-error lines) fail this step.
    const typecheck = await run(bin('tsc'), ['--noEmit', '-p', 'test/sdk/tsconfig.json'], { cwd: root }).catch(
      (error: { stdout: string; code: number }) => ({ stdout: error.stdout, failed: error.code }),
    );
    assert.equal('failed' in typecheck ? typecheck.failed : 0, 0, typecheck.stdout);

    // Loaded by path: the main type check must not depend on generated files.
    const { runSdk } = (await import(join(root, 'test/sdk/usage.ts'))) as {
      runSdk(url: string, email: string, password: string, confirmToken: () => Promise<string>): Promise<{ weakScore: number }>;
    };
    const email = 'sdk.user@example.com';
    const result = await runSdk(server.url, email, STRONG_PASSWORD, async () => {
      const mail = await server.mail.waitFor(email, /Confirm/);
      return linkIn(mail).searchParams.get('token')!;
    });
    assert.deepEqual(result, {
      registered: email,
      weakScore: result.weakScore,
      confirmed: email,
      email,
      sessions: 1,
      wrongPasswordCode: 'INVALID_CREDENTIALS',
    });
    assert.ok(result.weakScore < 30, `weak password scored ${result.weakScore}`);
  });
});

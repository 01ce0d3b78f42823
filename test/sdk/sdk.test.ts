// The SDK path a front-end team follows: codegen.ts generates typed documents and their trusted
// documents manifest from schema.graphql, their code type-checks against them, and the operations
// run, sent by hash, against a live server that accepts only the manifest's documents.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { errorCodes, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { linkIn } from '../helpers/smtp.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

describe('generated SDK', () => {
  let server: TestServer | undefined;
  before(() => {
    rmSync(join(root, 'test/sdk/generated'), { recursive: true, force: true });
  });
  after(() => server?.close());

  test('codegen.ts generates a client and its manifest; the client type-checks and runs by hash against a trusted-documents server', async () => {
    await run(bin('graphql-codegen'), ['--config', 'codegen.ts', '--silent'], {
      cwd: root,
      env: { ...process.env, GATEHOUSE_SDK_OUT: 'test/sdk/generated/' },
    });

    // Type errors in usage.ts (including unused @ts-expect-error lines) fail this step.
    const typecheck = await run(bin('tsc'), ['--noEmit', '-p', 'test/sdk/tsconfig.json'], { cwd: root }).catch(
      (error: { stdout: string; code: number }) => ({ stdout: error.stdout, failed: error.code }),
    );
    assert.equal('failed' in typecheck ? typecheck.failed : 0, 0, typecheck.stdout);

    // The committed manifest of the example SDK is what codegen writes now (else: `npm run codegen`).
    const manifest = join(root, 'test/sdk/generated/persisted-documents.json');
    const committed = readFileSync(join(root, 'examples/generated/persisted-documents.json'), 'utf8');
    assert.equal(readFileSync(manifest, 'utf8'), committed, 'examples/generated/persisted-documents.json is stale: run `npm run codegen` and commit it');
    const live = await startTestServer({ TRUSTED_DOCUMENTS: manifest });
    server = live;
    // Enforced: a document outside the manifest is refused (the SDK below sends hashes only).
    assert.deepEqual(errorCodes(await live.gql('{ validationRules }')), ['TRUSTED_DOCUMENT_REQUIRED']);

    // Loaded by path: the main type check must not depend on generated files.
    const { runSdk } = (await import(join(root, 'test/sdk/usage.ts'))) as {
      runSdk(url: string, email: string, password: string, confirmToken: () => Promise<string>): Promise<{ weakScore: number }>;
    };
    const email = 'sdk.user@example.com';
    const result = await runSdk(live.url, email, STRONG_PASSWORD, async () => {
      const mail = await live.mail.waitFor(email, /Confirm/);
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

// Builds the admin console (console/) into console/dist/: its typed client from schema.graphql and
// console/operations/ (graphql-codegen), then the bundle (vite), then the console's trusted documents
// manifest, console/dist/persisted-documents.json: the SHA-256 of each document exactly as the
// console sends it → that text, which a server with TRUSTED_DOCUMENTS trusts beside its own
// manifests (src/console/http.ts). Run by `npm install` (`prepare`), offline. An install without
// devDependencies has no vite: it says so and leaves the console unbuilt (the server then answers
// /admin with 503 and how to build it).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
const codegenOnly = process.argv.includes('--codegen');
const manifestFile = join(root, 'console', 'dist', 'persisted-documents.json');

/**
 * Every document of the generated client, keyed as the codegen client preset keys its manifests
 * ("sha256:<hex>"), but hashed over the text the console sends (`document.toString()`), not the
 * preset's normalised print: a document sent whole is trusted when its text is in a manifest.
 */
async function writeConsoleManifest(): Promise<void> {
  // The generated module is plain TypeScript with type-only imports: Node runs it as it is.
  const generated: Record<string, unknown> = await import(pathToFileURL(join(root, 'console', 'src', 'generated', 'graphql.ts')).href);
  const TypedDocumentString = generated.TypedDocumentString as new () => object;
  const documents = Object.values(generated)
    .filter((value) => value instanceof TypedDocumentString)
    .map(String)
    .sort();
  const manifest = Object.fromEntries(documents.map((text) => [`sha256:${createHash('sha256').update(text).digest('hex')}`, text]));
  writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
}

if (!existsSync(bin('vite')) || !existsSync(bin('graphql-codegen'))) {
  console.warn('console: vite or graphql-codegen is not installed (devDependencies); the admin console is not built.');
  process.exit(0);
}
execFileSync(bin('graphql-codegen'), ['--config', 'console/codegen.ts', '--silent'], { cwd: root, stdio: 'inherit' });
if (!codegenOnly) {
  execFileSync(bin('vite'), ['build', '--config', 'console/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  await writeConsoleManifest();
}

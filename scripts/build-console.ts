// Builds the admin console (console/) into console/dist/: its typed client from schema.graphql and
// console/operations/ (graphql-codegen), then the bundle (vite). Run by `npm install` (`prepare`),
// offline. An install without devDependencies has no vite: it says so and leaves the console unbuilt
// (the server then answers /admin with 503 and how to build it).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
const codegenOnly = process.argv.includes('--codegen');

if (!existsSync(bin('vite')) || !existsSync(bin('graphql-codegen'))) {
  console.warn('console: vite or graphql-codegen is not installed (devDependencies); the admin console is not built.');
  process.exit(0);
}
execFileSync(bin('graphql-codegen'), ['--config', 'console/codegen.ts', '--silent'], { cwd: root, stdio: 'inherit' });
if (!codegenOnly) execFileSync(bin('vite'), ['build', '--config', 'console/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });

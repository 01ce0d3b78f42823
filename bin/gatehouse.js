#!/usr/bin/env node
// The `gatehouse` command. Plain JavaScript on purpose: an older Node cannot even load the
// TypeScript sources (it stops at the ".ts" extension with a stack trace), so the version check
// must run before anything imports them.
const MINIMUM = [22, 18];

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < MINIMUM[0] || (major === MINIMUM[0] && minor < MINIMUM[1])) {
  process.stderr.write(
    `Gatehouse needs Node.js ${MINIMUM.join('.')} or newer (it runs TypeScript natively); this is ${process.version}.\n` +
      'Install a newer Node.js, or run it through npm (`npm start`), which uses the Node installed with the project.\n',
  );
  process.exit(1);
}

// Node's compile cache (in the OS temporary directory; NODE_DISABLE_COMPILE_CACHE=1 turns it off)
// keeps the sources with their types stripped and V8's code for them: a later start neither loads
// Node's TypeScript stripper (about 15 MiB that stay resident) nor compiles the modules again.
(await import('node:module')).enableCompileCache();
await import('../src/main.ts');

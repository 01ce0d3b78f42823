// Builds the console into console/dist/ (git-ignored), served by the server at /admin
// (src/console/http.ts). No inline script or style, so the server's strict CSP holds.
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/admin/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // Keep every asset a file (a data: URI would need a looser CSP) and no inline preload polyfill.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
  },
});

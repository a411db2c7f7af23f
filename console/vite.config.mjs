import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The admin console: Preact compiled by Vite's own JSX transform (no plugin), built into
 * dist/admin, where the API serves it at /admin. `ADMIN_CONSOLE_OUT_DIR` builds elsewhere (the
 * browser tests build a fresh copy of the sources they test).
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/admin/',
  publicDir: 'public',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: process.env.ADMIN_CONSOLE_OUT_DIR ?? fileURLToPath(new URL('../dist/admin', import.meta.url)),
    emptyOutDir: true,
    // the server's CSP forbids inline code: keep every asset a file, never a data: URL
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
  logLevel: 'warn',
});

/**
 * The admin dashboard's build: `npm run build:dashboard` (vite build --config dashboard/vite.config.mts)
 * writes dashboard/dist (index.html, favicon.svg, assets/*), which the admin process serves at `/`.
 * Preact's JSX goes through Vite's own transform (oxc), no plugin. The output suits a strict CSP
 * (default-src 'self'): no inline scripts or styles, no data: fonts, no eval.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  publicDir: 'public',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // Every asset a file of its own: nothing turned into data: URLs the CSP would refuse (fonts, CSS).
    assetsInlineLimit: 0,
    // The polyfill is a module in the entry chunk, not an inline script; modern Chromium needs none.
    modulePreload: { polyfill: false },
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: { port: 5173, strictPort: false },
});

/**
 * The admin dashboard's build: `npm run build:dashboard` (vite build --config dashboard/vite.config.mts)
 * writes dashboard/dist (index.html, favicon.svg, assets/*), which the admin process serves at `/`.
 * Preact's JSX goes through Vite's own transform (oxc), no plugin. The output suits a strict CSP
 * (default-src 'self'): no inline scripts or styles, no data: fonts, no eval.
 */
import { defineConfig } from 'vite';

/** Paths of the admin API (everything the dashboard fetches). */
const API_PATHS = [
  '/session',
  '/characters',
  '/channels',
  '/avatars',
  '/lorebooks',
  '/dashboard',
  '/prompts',
  '/dead_letters',
  '/load_fandom_wiki',
  '/crawls',
  '/conversations',
  '/organic',
  '/playground',
  '/health',
  '/stats',
  '/openapi.json',
];

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
  // `npm run dev:dashboard`: Vite's dev server (hot reload) in front of a running admin API, ADMIN_URL
  // (default http://127.0.0.1:8080): the API's paths are proxied, so the session cookie stays same-origin.
  server: {
    port: 5173,
    proxy: Object.fromEntries(
      API_PATHS.map((path) => [path, { target: process.env.ADMIN_URL ?? 'http://127.0.0.1:8080' }]),
    ),
  },
});

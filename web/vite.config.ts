import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

/**
 * The operator console, built offline into dist/console and served by Moneta at /console (src/api/console.ts).
 * No plugins: Preact's JSX is compiled through tsconfig's jsxImportSource; everything lands in hashed
 * files under assets/ so the strict Content-Security-Policy (script-src 'self') holds.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    // No inline module-preload polyfill script (the CSP forbids inline scripts).
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
})

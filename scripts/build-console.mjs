#!/usr/bin/env node
/* global process, console, URL */
// Builds the operator console (web/) into dist/console, offline. Run by `npm install` (prepare) and, with
// --if-missing, by `npm start`, so the README's two commands serve /console on a fresh clone.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const built = `${root}dist/console/index.html`
if (process.argv.includes('--if-missing') && existsSync(built)) process.exit(0)

let vite
try {
  vite = await import('vite')
} catch {
  // An install without build tools (--omit=dev elsewhere): the API still starts; /console says why it is absent.
  console.warn('console: vite is not installed; /console will not be served until `npm install` builds it')
  process.exit(0)
}
await vite.build({ configFile: `${root}web/vite.config.ts` })
console.log('console: built dist/console')

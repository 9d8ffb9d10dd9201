import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker, type ResourceLimits } from 'node:worker_threads'

/**
 * tsx's ESM API as a file URL, resolved from this module's own location. An eval'd worker resolves
 * bare specifiers from the process's working directory, so `import('tsx/esm/api')` there failed (500
 * on every rule-set save) whenever `moneta start` ran outside the project directory. tsx publishes
 * only a CommonJS build under `require`, which cannot register the ESM hooks, hence its package.json.
 */
function tsxEsmApi(): string {
  const pkgPath = createRequire(import.meta.url).resolve('tsx/package.json')
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as {
    exports: Record<string, { import: { default: string } }>
  }
  return pathToFileURL(join(dirname(pkgPath), pkg.exports['./esm/api']!.import.default)).href
}

/**
 * A worker thread running a TypeScript module (`file`, a URL beside the caller's source): the
 * sources are TypeScript and a worker does not inherit the process's loaders, so the worker first
 * registers tsx, then imports the module.
 */
export function spawnTsWorker(file: URL, opts: { resourceLimits?: ResourceLimits } = {}): Worker {
  const api = tsxEsmApi()
  return new Worker(
    `import(${JSON.stringify(api)}).then(({ register }) => { register(); return import(${JSON.stringify(file.href)}) })`,
    { eval: true, ...(opts.resourceLimits ? { resourceLimits: opts.resourceLimits } : {}) },
  )
}

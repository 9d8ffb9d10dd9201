#!/usr/bin/env node
// Runs the TypeScript sources directly, so a fresh clone needs no build step.
//
// Compiling each of several hundred files through tsx on every start took about three quarters of
// the CLI's start-up time. So the first run after a change under src/ bundles src/cli/main.ts with
// esbuild (tsx's own compiler) into node_modules/.cache/moneta/cli.mjs, and later runs load that one
// file. Packages stay external (resolved from node_modules as before). MONETA_CLI_BUNDLE=0, or any
// failure to bundle, runs the sources through tsx exactly as before.
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  statSync,
  utimesSync,
} from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const src = join(root, 'src')
const bundlePath = join(root, 'node_modules', '.cache', 'moneta', 'cli.mjs')

/** Newest modification time of any file under dir (a few milliseconds for the whole tree). */
function newest(dir) {
  let m = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    m = Math.max(m, e.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return m
}

/**
 * The bundle's first line names the sources it was built from. It embeds their paths (below), so a
 * bundle built by another checkout sharing this node_modules (a symlink, a hoisted install) must not
 * be loaded here even when it is newer than these sources: it would run that checkout's code.
 */
const stamp = `// moneta-src: ${src}\n`

function builtFromHere(path) {
  const fd = openSync(path, 'r')
  try {
    const head = Buffer.alloc(Buffer.byteLength(stamp))
    readSync(fd, head, 0, head.length, 0)
    return head.toString() === stamp
  } finally {
    closeSync(fd)
  }
}

/** `import.meta.url` keeps meaning the source file's own URL inside the bundle (files read beside it). */
const sourceUrls = {
  name: 'source-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8')
      if (!text.includes('import.meta.url')) return undefined
      return {
        contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
        loader: 'ts',
      }
    })
  },
}

async function bundled() {
  if (process.env.MONETA_CLI_BUNDLE === '0') return undefined
  try {
    const lock = join(root, 'package-lock.json')
    const inputs = Math.max(newest(src), existsSync(lock) ? statSync(lock).mtimeMs : 0)
    if (existsSync(bundlePath) && statSync(bundlePath).mtimeMs >= inputs && builtFromHere(bundlePath))
      return bundlePath
    // Stamped with the time the build started: a file saved while it runs triggers the next build.
    const started = new Date()
    const esbuild = await import('esbuild')
    mkdirSync(dirname(bundlePath), { recursive: true })
    const tmp = `${bundlePath}.${process.pid}.tmp`
    await esbuild.build({
      entryPoints: [join(src, 'cli', 'main.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      outfile: tmp,
      logLevel: 'silent',
      banner: { js: stamp.trimEnd() },
      plugins: [sourceUrls],
    })
    utimesSync(tmp, started, started)
    renameSync(tmp, bundlePath)
    return bundlePath
  } catch {
    return undefined
  }
}

const bundle = await bundled()
if (bundle) {
  await import(pathToFileURL(bundle).href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import('../src/cli/main.ts')
}

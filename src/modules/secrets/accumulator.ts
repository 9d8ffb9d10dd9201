import { detect, emptyCounters } from './detect.js'
import type { Finding, ScanResult, ScanStats } from './types.js'

/** Files above this are skipped (and counted): generated bundles and dumps, not hand-written config. */
export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024

export interface AccumulatorOptions {
  readonly maxFileBytes?: number
  /** Fingerprints to accept (a baseline). */
  readonly baseline?: ReadonlySet<string>
}

/** Collects findings and figures over any source of files (tree, history, staged, in-memory). */
export interface Accumulator {
  add(path: string, content: Buffer | string, meta?: Partial<Pick<Finding, 'blob'>>): readonly Finding[]
  ignored(): void
  /** A file skipped for its size without being read. */
  tooLarge(): void
  result(): ScanResult
}

/** NUL in the first 8 KB: the same test git uses to call a file binary. */
const isBinary = (b: Buffer): boolean => b.subarray(0, 8192).includes(0)

export function createAccumulator(opts: AccumulatorOptions = {}): Accumulator {
  const started = performance.now()
  const counters = emptyCounters()
  const findings: Finding[] = []
  const maxBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES
  const stats: ScanStats = {
    files: 0,
    bytes: 0,
    lines: 0,
    skippedBinary: 0,
    skippedLarge: 0,
    ignored: 0,
    durationMs: 0,
  }

  return {
    add(path, content, meta) {
      const size = typeof content === 'string' ? Buffer.byteLength(content) : content.length
      if (size > maxBytes) {
        stats.skippedLarge++
        return []
      }
      if (typeof content !== 'string' && isBinary(content)) {
        stats.skippedBinary++
        return []
      }
      const text = typeof content === 'string' ? content : content.toString('utf8')
      stats.files++
      stats.bytes += size
      stats.lines += countLines(text)
      const found = detect(path, text, counters)
        .filter((f) => {
          if (!opts.baseline?.has(f.fingerprint)) return true
          counters.baseline++
          return false
        })
        .map((f) => (meta?.blob ? { ...f, blob: meta.blob } : f))
      findings.push(...found)
      return found
    },
    ignored() {
      stats.ignored++
    },
    tooLarge() {
      stats.skippedLarge++
    },
    result() {
      stats.durationMs = Math.round(performance.now() - started)
      return { findings, suppressed: { ...counters }, stats: { ...stats } }
    },
  }
}

function countLines(text: string): number {
  let n = text.length > 0 && !text.endsWith('\n') ? 1 : 0
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++
  return n
}

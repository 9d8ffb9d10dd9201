import { inlineMarker, isDocPath, isTestPath, LineIndex } from './context.js'
import { shannonEntropy } from './entropy.js'
import { placeholderReason } from './placeholders.js'
import { keywordMatcher } from './keywords.js'
import { fingerprint, redact } from './redact.js'
import { RULES } from './rules/index.js'
import type { Finding, Rule, SuppressionReason } from './types.js'

/**
 * The detector: one text in, findings out. Pure apart from the counters it increments, so the
 * working-tree, history and in-memory scans all share it. Raw secrets never leave this file:
 * findings carry the redacted form and a fingerprint.
 */

export type Counters = Record<SuppressionReason, number>

export const emptyCounters = (): Counters => ({
  placeholder: 0,
  'low-entropy': 0,
  rejected: 0,
  'no-context': 0,
  'test-fixture': 0,
  'allow-comment': 0,
  'documentation-example': 0,
  baseline: 0,
})

/** Each rule's expression with the `d` (indices) and `g` flags the detector relies on. */
const COMPILED = new Map<Rule, RegExp>(
  RULES.map((r) => {
    const flags = new Set([...r.pattern.flags, 'g', 'd'])
    return [r, new RegExp(r.pattern.source, [...flags].join(''))]
  }),
)

interface Candidate {
  rule: Rule
  secret: string
  start: number
  end: number
  evidence: string
}

/** Base64 payloads (Kubernetes secrets, encoded configs) are decoded once and scanned too. */
const MAX_DEPTH = 1
const MIN_BASE64 = 24
const MAX_BASE64 = 65536
/** 1 for the base64 alphabet (A–Z a–z 0–9 + /), by character code. */
const B64 = new Uint8Array(128)
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') B64[c.charCodeAt(0)] = 1

/**
 * Runs of base64 of a decodable length, found by one linear pass (a regular expression with
 * look-arounds here cost more than all the rules together on minified JavaScript).
 */
function* base64Runs(text: string): Generator<{ start: number; run: string }> {
  let start = -1
  const n = text.length
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 0
    if (c < 128 && B64[c] === 1) {
      if (start === -1) start = i
      continue
    }
    if (start !== -1) {
      let end = i
      while (end < n && end - i < 2 && text.charCodeAt(end) === 61) end++ // '=' padding
      const len = i - start
      const after = end < n ? text.charCodeAt(end) : 0
      if (len >= MIN_BASE64 && len <= MAX_BASE64 && !(after < 128 && B64[after] === 1)) {
        yield { start, run: text.slice(start, end) }
      }
      start = -1
    }
  }
}

const KEYWORDS = keywordMatcher(RULES.flatMap((r) => r.keywords))

/** Around a keyword, how far a rule's match may start before it or end after it on a long line. */
const LONG_LINE_REACH = 4096

interface Window {
  start: number
  end: number
  /** The window was cut inside a line: a match touching that edge may be a fragment. */
  cutStart: boolean
  cutEnd: boolean
}

export function detect(path: string, text: string, counters: Counters, depth = 0): Finding[] {
  const hits = KEYWORDS.find(text)
  const lines = new LineIndex(text)
  const ctx: FileContext = { path, text, lines, inTests: isTestPath(path), inDocs: isDocPath(path), counters }
  const kept: Candidate[] = []

  for (const rule of RULES) {
    if (rule.paths && !rule.paths.test(path)) continue
    if (rule.keywords.length === 0) {
      matchIn(rule, { start: 0, end: text.length, cutStart: false, cutEnd: false }, ctx, kept)
      continue
    }
    const at = rule.keywords.flatMap((k) => hits.get(k) ?? [])
    if (at.length === 0) continue
    for (const w of windowsAround(rule, at, lines, text.length)) matchIn(rule, w, ctx, kept)
  }

  if (depth >= MAX_DEPTH) return kept.map((c) => toFinding(c, path, lines))
  const decoded = detectInBase64(path, text, lines, counters, depth)
  // A value matched both as written and decoded is one secret: the decoded finding names it better
  // (`MONETA_API_KEY: <base64 of mk_…>` is a Moneta API key, not an opaque environment value).
  const direct = kept.filter((c) => !decoded.some((d) => d.start < c.end && c.start < d.end))
  return [...direct.map((c) => toFinding(c, path, lines)), ...decoded.map((d) => d.finding)]
}

interface FileContext {
  path: string
  text: string
  lines: LineIndex
  inTests: boolean
  inDocs: boolean
  counters: Counters
}

/**
 * The regions a rule's expression runs on: the keyword's line (± the rule's context lines, plus its
 * longest match for multi-line rules), merged. Running on these instead of the whole text keeps the
 * cost proportional to keyword hits, not file size (minified bundles of megabytes).
 */
function windowsAround(rule: Rule, offsets: number[], lines: LineIndex, length: number): Window[] {
  offsets.sort((a, b) => a - b)
  const around = rule.near?.lines ?? 0
  const out: Window[] = []
  for (const h of offsets) {
    const line = lines.lineOf(h)
    let start = lines.lineStart(line - around)
    let end = lines.lineStart(line + around + 1)
    if (rule.maxLength) end = Math.max(end, Math.min(length, h + rule.maxLength))
    const reach = LONG_LINE_REACH + (rule.maxLength ?? 0)
    const cutStart = start < h - LONG_LINE_REACH
    const cutEnd = end > h + reach
    if (cutStart) start = h - LONG_LINE_REACH
    if (cutEnd) end = h + reach
    const last = out.at(-1)
    if (last && start <= last.end) {
      if (end > last.end) {
        last.end = end
        last.cutEnd = cutEnd
      }
    } else {
      out.push({ start, end, cutStart, cutEnd })
    }
  }
  return out
}

function matchIn(rule: Rule, w: Window, ctx: FileContext, kept: Candidate[]): void {
  const re = COMPILED.get(rule)!
  const region = w.start === 0 && w.end === ctx.text.length ? ctx.text : ctx.text.slice(w.start, w.end)
  re.lastIndex = 0
  for (let m = re.exec(region); m !== null; m = re.exec(region)) {
    if (m[0].length === 0) {
      re.lastIndex++
      continue
    }
    if ((w.cutStart && m.index === 0) || (w.cutEnd && m.index + m[0].length === region.length)) continue
    const secret = m.groups?.secret ?? m[0]
    const start = w.start + (m.indices?.groups?.secret?.[0] ?? m.index)
    const verdict = judge(rule, secret, start, m, ctx)
    if (typeof verdict !== 'string') {
      ctx.counters[verdict.suppressed]++
      continue
    }
    if (rule.testMode && (ctx.inTests || ctx.inDocs)) {
      ctx.counters[ctx.inTests ? 'test-fixture' : 'documentation-example']++
      continue
    }
    const marker = inlineMarker(ctx.lines, ctx.lines.lineOf(start))
    if (marker) {
      ctx.counters[marker]++
      continue
    }
    const end = start + secret.length
    // Most specific rule first (RULES order): a later rule's overlapping candidate is the same secret.
    if (kept.some((c) => c.start < end && start < c.end)) continue
    kept.push({ rule, secret, start, end, evidence: verdict })
  }
}

/** A string of evidence when the candidate stands, or why it is suppressed. */
function judge(
  rule: Rule,
  secret: string,
  start: number,
  match: RegExpExecArray,
  { path, text, lines }: FileContext,
): string | { suppressed: SuppressionReason } {
  const placeholder = placeholderReason(secret)
  if (placeholder) return { suppressed: 'placeholder' }
  const body = rule.printablePrefix ? secret.replace(rule.printablePrefix, '') : secret
  const entropy = shannonEntropy(body)
  if (rule.minEntropy !== undefined && entropy < rule.minEntropy) return { suppressed: 'low-entropy' }
  if (rule.near) {
    const line = lines.lineOf(start)
    const window = lines.lines(line - rule.near.lines, line + rule.near.lines)
    if (!rule.near.pattern.test(path) && !rule.near.pattern.test(window)) return { suppressed: 'no-context' }
  }
  if (rule.reject?.(secret, { path, text, index: start, match })) return { suppressed: 'rejected' }
  const parts = [`${secret.length} characters`, `entropy ${entropy.toFixed(1)} bits/char`]
  if (rule.near) parts.push(`context ${rule.near.pattern.source.slice(0, 40)} nearby`)
  if (rule.id === 'github-token') parts.push('checksum valid')
  return parts.join(', ')
}

function toFinding(c: Candidate, path: string, lines: LineIndex): Finding {
  const line = lines.lineOf(c.start)
  return {
    ruleId: c.rule.id,
    title: c.rule.title,
    severity: c.rule.severity,
    path,
    line: line + 1,
    column: c.start - lines.lineStart(line) + 1,
    redacted: redact(c.secret, c.rule.printablePrefix),
    fingerprint: fingerprint(c.rule.id, c.secret),
    why: c.rule.why,
    evidence: `matched ${c.rule.id}: ${c.evidence}`,
  }
}

/** Printable text, not the bytes of an image or a key: only such payloads are worth a second look. */
function mostlyPrintable(buf: Buffer): boolean {
  if (buf.length < 16) return false
  // Most base64 runs in a real tree are images, fonts or random keys: the first bytes tell.
  const head = buf.subarray(0, 32)
  let headPrintable = 0
  for (const b of head) if (b >= 0x20 && b < 0x7f) headPrintable++
  if (headPrintable < head.length * 0.9) return false
  let printable = 0
  for (const b of buf) if ((b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09) printable++
  return printable / buf.length >= 0.95
}

function detectInBase64(
  path: string,
  text: string,
  lines: LineIndex,
  counters: Counters,
  depth: number,
): { start: number; end: number; finding: Finding }[] {
  const out: { start: number; end: number; finding: Finding }[] = []
  for (const { start, run } of base64Runs(text)) {
    const decoded = Buffer.from(run, 'base64')
    if (!mostlyPrintable(decoded)) continue
    const inner = detect(path, decoded.toString('latin1'), counters, depth + 1)
    if (inner.length === 0) continue
    const line = lines.lineOf(start)
    const column = start - lines.lineStart(line) + 1
    for (const f of inner) {
      out.push({
        start,
        end: start + run.length,
        finding: {
          ...f,
          line: line + 1,
          column,
          encoding: 'base64',
          evidence: `${f.evidence} (inside a base64 payload)`,
        },
      })
    }
  }
  return out
}

/**
 * Where a candidate sits changes what it means. These are the only path- and line-based judgements
 * the scanner makes (docs/secrets.md, "Context"):
 * - test fixtures: test-mode credentials (sk_test_…, sandbox keys) there are expected, live ones are not;
 * - documentation: test-mode credentials in docs are examples (Stripe's own docs print them);
 * - inline comments: `moneta-scan: allow` (an accepted value) or `moneta-scan: example`.
 */
const TEST_PATH =
  /(?:^|\/)(?:test|tests|__tests__|spec|specs|fixtures?|__fixtures__|testdata|test-data|__mocks__|mocks?)\/|\.(?:test|spec)\.[cm]?[jt]sx?$|_test\.(?:go|py|rb)$|(?:^|\/)test_[^/]+\.py$/i
const DOC_PATH = /\.(?:md|mdx|markdown|rst|adoc|txt)$|(?:^|\/)docs?\//i
const ALLOW = /moneta-scan:\s*allow/i
const EXAMPLE = /moneta-scan:\s*example/i

export const isTestPath = (path: string): boolean => TEST_PATH.test(path)
export const isDocPath = (path: string): boolean => DOC_PATH.test(path)

/** Line starts of a text, computed once per text and only when a candidate needs them. */
export class LineIndex {
  private starts: number[] | undefined
  constructor(private readonly text: string) {}

  private get all(): number[] {
    if (!this.starts) {
      const s = [0]
      for (let i = this.text.indexOf('\n'); i !== -1; i = this.text.indexOf('\n', i + 1)) s.push(i + 1)
      this.starts = s
    }
    return this.starts
  }

  /** 0-based line of an offset. */
  lineOf(offset: number): number {
    const s = this.all
    let lo = 0
    let hi = s.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (s[mid]! <= offset) lo = mid
      else hi = mid - 1
    }
    return lo
  }

  lineStart(line: number): number {
    if (line <= 0) return 0
    return this.all[line] ?? this.text.length
  }

  /** Text of lines [from, to] (0-based, clamped). */
  lines(from: number, to: number): string {
    const s = this.all
    const a = Math.max(0, from)
    const b = Math.min(s.length - 1, to)
    return this.text.slice(s[a], b + 1 < s.length ? s[b + 1]! : this.text.length)
  }
}

/** An inline marker on the secret's line or the line above it. */
export function inlineMarker(
  lines: LineIndex,
  line: number,
): 'allow-comment' | 'documentation-example' | undefined {
  const around = lines.lines(line - 1, line)
  if (ALLOW.test(around)) return 'allow-comment'
  if (EXAMPLE.test(around)) return 'documentation-example'
  return undefined
}

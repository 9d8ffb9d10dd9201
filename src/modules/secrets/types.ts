/**
 * The scanner's vocabulary. A rule recognises one kind of credential; a finding is one credential
 * found at one place, always carried redacted (the raw value never leaves `detect.ts`).
 */

export type Severity = 'critical' | 'high' | 'medium' | 'low'

/** What the rule sees around a candidate, for checks a regular expression cannot make. */
export interface CandidateContext {
  readonly path: string
  /** The whole text being scanned (a file, a blob, or a decoded base64 payload). */
  readonly text: string
  /** Offset of the secret within `text`. */
  readonly index: number
  /** The full regular-expression match (secret plus whatever the rule matched around it). */
  readonly match: RegExpExecArray
}

export interface Rule {
  /** Stable identifier: used in baselines, allow comments, SARIF and docs/secrets.md. Never renamed. */
  readonly id: string
  readonly title: string
  readonly severity: Severity
  /** What a leaked value of this kind grants: printed with every finding so it explains itself. */
  readonly why: string
  /**
   * Lower-case substrings; the rule's expression runs only on texts holding one of them (the
   * prefilter that keeps a scan of a large tree fast). Empty: always run.
   */
  readonly keywords: readonly string[]
  /** Global expression. The secret is the named group `secret`, else group 1, else the whole match. */
  readonly pattern: RegExp
  /** Fixed prefix of the secret that is safe to print (`sk_live_`), for redaction. */
  readonly printablePrefix?: RegExp
  /** Minimum Shannon entropy (bits per character) of the secret, without its printable prefix. */
  readonly minEntropy?: number
  /** A test/sandbox credential: not reported in test fixtures (docs/secrets.md, "context"). */
  readonly testMode?: boolean
  /** Reported only when one of these expressions matches within `lines` lines of the candidate. */
  readonly near?: { readonly pattern: RegExp; readonly lines: number }
  /** Longest match in characters, for rules whose match spans lines (PEM blocks); default: one line. */
  readonly maxLength?: number
  /** Only files whose path matches (e.g. `.env` files). */
  readonly paths?: RegExp
  /** Further validation (checksums, decodable structure). Returns why the candidate is NOT a secret. */
  readonly reject?: (secret: string, ctx: CandidateContext) => string | undefined
}

export interface Finding {
  readonly ruleId: string
  readonly title: string
  readonly severity: Severity
  readonly path: string
  /** 1-based line and column of the secret's first character. */
  readonly line: number
  readonly column: number
  /** The secret redacted: a known prefix and a few characters, never the whole value. */
  readonly redacted: string
  /** Location-independent identity (rule + secret, hashed): what a baseline stores. */
  readonly fingerprint: string
  /** Why this was reported: what the credential grants and what matched. */
  readonly why: string
  readonly evidence: string
  /** Set when the secret was found inside a base64 payload. */
  readonly encoding?: 'base64'
  /** History scans: the blob and the commit that first added it. */
  readonly blob?: string
  readonly commit?: string
  readonly author?: string
  readonly date?: string
}

/** Why a candidate was not reported; counted in every result so a scan's silence can be checked. */
export type SuppressionReason =
  | 'placeholder'
  | 'low-entropy'
  | 'rejected'
  | 'no-context'
  | 'test-fixture'
  | 'allow-comment'
  | 'documentation-example'
  | 'baseline'

export interface ScanStats {
  files: number
  bytes: number
  lines: number
  skippedBinary: number
  skippedLarge: number
  ignored: number
  durationMs: number
}

export interface ScanResult {
  readonly findings: readonly Finding[]
  readonly suppressed: Readonly<Record<SuppressionReason, number>>
  readonly stats: Readonly<ScanStats>
}

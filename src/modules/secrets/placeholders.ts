/**
 * Values that have a secret's shape but are written to be replaced: `sk_test_xxx…`, `<your-key>`,
 * `${STRIPE_KEY}`, `AKIA…EXAMPLE`. Checked on the secret only (not the line), so a real key next to
 * the word "example" is still reported.
 */
const PLACEHOLDER_WORDS =
  /example|sample|placeholder|dummy|your[_-]?|changeme|change[_-]me|redacted|replace|insert|fake|notreal|not[_-]a[_-]real|secret[_-]?here|key[_-]?here|token[_-]?here|todo|fixme|xxxx|\*\*\*|\.\.\.|…/i
const TEMPLATE = /\$\{|\{\{|\}\}|<[^>]*>|%\(|%s|\$[A-Z_]{3,}|process\.env|os\.environ|getenv/
/** Six or more of one character, or an ascending alphabet/digit run: typed by a person, not drawn at random. */
const REPEATED = /(.)\1{5,}/
const SEQUENCES = ['0123456789', '123456789', 'abcdefghij', 'ABCDEFGHIJ', 'qwertyuiop']

export function placeholderReason(secret: string): string | undefined {
  const m = PLACEHOLDER_WORDS.exec(secret)
  if (m) return `placeholder word "${m[0]}"`
  if (TEMPLATE.test(secret)) return 'template or variable reference'
  if (REPEATED.test(secret)) return 'a character repeated six or more times'
  const lower = secret.toLowerCase()
  for (const s of SEQUENCES) if (lower.includes(s.toLowerCase())) return `the sequence ${s}`
  return undefined
}

/**
 * Values that have a secret's shape but are written to be replaced: `sk_test_xxx…`, `<your-key>`,
 * `${STRIPE_KEY}`, `AKIA…EXAMPLE`. Checked on the secret only (not the line), so a real key next to
 * the word "example" is still reported.
 *
 * Words count only in one case (`your`, `YOUR`, `Your`), never mixed: a random token holds `yOUr`
 * or `Xxxx` now and then (two held-out misses in 1,306 did), a person typing a placeholder does not.
 */
const WORDS = [
  'example',
  'sample',
  'placeholder',
  'dummy',
  'your',
  'changeme',
  'redacted',
  'replace',
  'insert',
  'fake',
  'notreal',
  'todo',
  'fixme',
  'xxxx',
  'here',
]
const WORD_FORMS = WORDS.flatMap((w) => [
  w,
  w.toUpperCase(),
  ...(w === 'xxxx' ? [] : [w[0]!.toUpperCase() + w.slice(1)]),
])
const PLACEHOLDER_WORDS = new RegExp(`${WORD_FORMS.join('|')}|\\*\\*\\*|\\.\\.\\.|…`)
const TEMPLATE = /\$\{|\{\{|\}\}|<[^>]*>|%\(|%s|\$[A-Z_]{3,}|process\.env|os\.environ|getenv/
/** Six or more of one character, or an ascending alphabet/digit run: typed by a person, not drawn at random. */
const REPEATED = /(.)\1{5,}/
const SEQUENCES = ['0123456789', '123456789', 'abcdefghij', 'qwertyuiop']

export function placeholderReason(secret: string): string | undefined {
  // Long values (PEM blocks, JWTs) hold any four-letter word by chance; only templates count there.
  const m = secret.length <= 160 ? PLACEHOLDER_WORDS.exec(secret) : /\.\.\.|…|xxxxx|XXXXX/.exec(secret)
  if (m) return `placeholder word "${m[0]}"`
  if (TEMPLATE.test(secret)) return 'template or variable reference'
  if (REPEATED.test(secret)) return 'a character repeated six or more times'
  const lower = secret.toLowerCase()
  for (const s of SEQUENCES) if (lower.includes(s)) return `the sequence ${s}`
  return undefined
}

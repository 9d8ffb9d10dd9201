/**
 * Pieces shared by the rule catalogues. Boundaries are look-arounds rather than `\b`, because
 * base64url secrets may start or end with `-` or `_`, where `\b` does not fire.
 */

/** `KEY = "value"`, `key: value`, `"key": "value"`, `KEY=value`, `key => 'value'`, `Key := value`. */
export function assignment(key: string, value: string): RegExp {
  return new RegExp(
    `(?:${key})\\\\?["'\`]?\\s*(?:=>|:=|[:=])\\s*\\\\?["'\`]?(?<secret>${value})(?![A-Za-z0-9+/=_~.-])`,
    'gi',
  )
}

/** A token that is not the tail or head of a longer word. */
export function token(body: string, edge = 'A-Za-z0-9_'): RegExp {
  // `=` only ends a token (base64 padding); before one it is an assignment (`KEY=value`).
  const before = edge.replace('=', '')
  return new RegExp(`(?<![${before}])(?<secret>${body})(?![${edge}])`, 'g')
}

/** A canonical lower-case UUID. */
export const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'

/** Both letter cases present: random base62/base64url has them; a snake_case identifier does not. */
export function mixedCase(secret: string): string | undefined {
  return /[a-z]/.test(secret) && /[A-Z]/.test(secret)
    ? undefined
    : 'only one letter case (an identifier, not a random key)'
}

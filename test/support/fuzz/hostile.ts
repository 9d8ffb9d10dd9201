import fc from 'fast-check'

/**
 * Values an attacker (or a buggy client) sends where a schema expects something sane. Each kind
 * caused a 500 or a stuck payment once (issue 15); the fuzzer mixes them into otherwise valid requests.
 */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  'a\u0000b', // NUL: PostgreSQL refuses it in text and jsonb
  '\u0000',
  'x\ud800y', // lone high surrogate
  '\udfff', // lone low surrogate
  '\ud83d', // half an emoji
  '😀👩‍👩‍👧‍👦',
  'Ω≈ç√∫˜µ≤≥÷',
  '\u202eevil', // right-to-left override
  'ﬁ\u0301\u0308',
  '9'.repeat(20), // beyond bigint / numeric(19)
  '99999999999999999999999999999999999999999',
  '9223372036854775807', // 2^63 - 1
  '9223372036854775808', // 2^63
  '-9223372036854775809',
  '18446744073709551616',
  '-1',
  '0',
  '00',
  '1e3',
  '0x10',
  '1.5',
  'NaN',
  'Infinity',
  ' 1',
  "' OR 1=1 --",
  "'; DROP TABLE ledger_accounts; --",
  '" OR ""="',
  '$1',
  '${7*7}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '%00',
  '%E0%A4%A',
  '\\',
  '\r\nX-Injected: 1',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  '2026-02-30T25:61:61Z',
  '0000-01-01T00:00:00Z',
  '275760-09-13T00:00:00.000Z',
  '1970-01-01T00:00:00Z',
  'a'.repeat(300),
  'b'.repeat(70_000),
]

export const HOSTILE_NUMBERS: readonly number[] = [
  0,
  -0,
  -1,
  1,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 53 + 2,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  2 ** 63,
  1e21,
  1e308,
  -1e308,
  5e-324,
  0.5,
  1.0000001,
]

/** A JSON value nested `depth` deep, as text (JSON.stringify itself would recurse). */
export function deepJson(depth: number, open = '[', close = ']'): string {
  return open.repeat(depth) + close.repeat(depth)
}

export const hostileString = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  )

/** Anything at all in place of a value: wrong types, boundary numbers, hostile strings, containers. */
export const hostileValue = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 5, arbitrary: hostileString() },
    { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_NUMBERS) },
    { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [null], { '': 1 }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  )

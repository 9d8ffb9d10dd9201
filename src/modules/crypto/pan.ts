/** Luhn (mod 10) check over a digit string. */
export function luhnValid(digits: string): boolean {
  let sum = 0
  let double = false
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48
    if (d < 0 || d > 9) return false
    if (double) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
    double = !double
  }
  return digits.length > 0 && sum % 10 === 0
}

/** Strips spaces and dashes; returns the digits when they form a plausible, Luhn-valid PAN. */
export function normalizePan(input: string): string | undefined {
  const digits = input.replace(/[\s-]/g, '')
  if (!/^\d{12,19}$/.test(digits)) return undefined
  return luhnValid(digits) ? digits : undefined
}

export function cardBrand(pan: string): string {
  if (/^4/.test(pan)) return 'visa'
  if (/^(5[1-5]|2(2[2-9][1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720))/.test(pan)) return 'mastercard'
  if (/^3[47]/.test(pan)) return 'amex'
  if (/^(6011|65|64[4-9]|622)/.test(pan)) return 'discover'
  if (/^35(2[89]|[3-8]\d)/.test(pan)) return 'jcb'
  if (/^3(0[0-5]|[689])/.test(pan)) return 'diners'
  if (/^(5018|5020|5038|6304|6759|676[1-3])/.test(pan)) return 'maestro'
  if (/^62/.test(pan)) return 'unionpay'
  return 'unknown'
}

// 12 or more digits, optionally grouped by single spaces or dashes, not inside a longer number.
const PAN_LIKE = /(?<![\d])(?:\d[ -]?){11,}\d(?![\d])/g

const HEX = /[0-9a-fA-F]/
const HEX_LETTER = /[a-fA-F]/

/**
 * True when [from, to) lies inside a run of 32 or more hex characters with at least one letter: a
 * SHA-256 digest, a key id or a hash. Its digit runs are not cards, and masking one would corrupt
 * the value (an audit entry recording a report's digest could no longer be found by it).
 */
function insideHexDigest(text: string, from: number, to: number): boolean {
  let start = from
  let end = to
  while (start > 0 && HEX.test(text[start - 1]!)) start--
  while (end < text.length && HEX.test(text[end]!)) end++
  if (end - start < 32) return false
  const token = text.slice(start, end)
  return !/[ -]/.test(token) && HEX_LETTER.test(token)
}

/**
 * Masks card numbers in free text: every Luhn-valid 12–19 digit run, and every run of 15 or more digits
 * starting with a card industry digit (2–6) even when the check digit is wrong (a mistyped card is
 * still a card). 4111111111111111 → 411111******1111.
 */
export function maskPans(text: string): string {
  if (text.length < 12) return text
  return text.replace(PAN_LIKE, (m: string, at: number) => {
    if (insideHexDigest(text, at, at + m.length)) return m
    const digits = m.replace(/[ -]/g, '')
    if (digits.length < 12) return m
    // Longer runs may be a card with extra digits typed or glued on: masked too.
    const cardLike = digits.length >= 15 && digits.charCodeAt(0) >= 50 && digits.charCodeAt(0) <= 54
    if (digits.length > 19 && !cardLike) return m
    if (!cardLike && !luhnValid(digits)) return m
    return `${digits.slice(0, 6)}${'*'.repeat(digits.length - 10)}${digits.slice(-4)}`
  })
}

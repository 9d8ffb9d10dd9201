/** Minor units (a JSON integer string) shown with two decimals; money stays a string, never a float. */
export function money(minor: string, currency: string): string {
  const negative = minor.startsWith('-')
  const digits = (negative ? minor.slice(1) : minor).padStart(3, '0')
  return `${negative ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)} ${currency}`
}

/** "12.50" or "12" typed by a person → minor units ("1250"), or null when it is not an amount. */
export function minorOf(text: string): string | null {
  const m = /^\s*(\d{1,16})(?:[.,](\d{1,2}))?\s*$/.exec(text)
  if (!m) return null
  return (BigInt(m[1]!) * 100n + BigInt((m[2] ?? '0').padEnd(2, '0'))).toString()
}

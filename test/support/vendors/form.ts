/**
 * Parses the form encoding the Stripe SDK sends (`metadata[tenantId]=…`, `expand[0]=…`,
 * `created[gte]=…`) into nested objects, the way Stripe's API reads it.
 */
export type FormValue = string | FormObject
export interface FormObject {
  [key: string]: FormValue
}

export function parseForm(text: string): FormObject {
  const root: FormObject = {}
  for (const pair of text.split('&')) {
    if (!pair) continue
    const eq = pair.indexOf('=')
    const rawKey = decodeURIComponent((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '))
    const value = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '))
    const path = rawKey.split(/\[|\]\[|\]/).filter((p, i) => i === 0 || p !== '')
    let node = root
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i]!
      const next = node[key]
      if (typeof next === 'object') node = next
      else {
        const created: FormObject = {}
        node[key] = created
        node = created
      }
    }
    node[path[path.length - 1]!] = value
  }
  return root
}

export const str = (v: FormValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined)

export const obj = (v: FormValue | undefined): FormObject => (typeof v === 'object' ? v : {})

/** `expand[0]=a&expand[1]=b` arrives as {0: 'a', 1: 'b'}. */
export const list = (v: FormValue | undefined): string[] =>
  typeof v === 'object' ? Object.values(v).filter((x): x is string => typeof x === 'string') : []

import type { ListEntry } from './screening.js'

/** A list entry for tests: a person on the SDN list unless `extra` says otherwise. */
export const listEntry = (
  key: string,
  names: readonly string[],
  extra: Partial<ListEntry> = {},
): ListEntry => ({
  listId: 'ofac_sdn',
  key,
  type: 'person',
  names: names.map((name, i) => ({ name, kind: i === 0 ? 'primary' : 'alias' })),
  dobs: [],
  countries: [],
  identifiers: [],
  cryptoAddresses: [],
  programs: [],
  ...extra,
})

import { readFileSync } from 'node:fs'
import { sql } from 'kysely'
import type { Db } from '../../../shared/db/connect.js'
import { TICK_TOPIC } from '../../market/index.js'
import { parseCsvRows } from '../../screening/index.js'
import { foldText, identifierKey, type SearchDocument } from '../search.js'
import { keysOf, refOf, type SearchSource } from './source.js'

/** Reference data of an instrument (MONETA_SEARCH_INSTRUMENTS: CSV symbol,name,isin,cusip,figi). */
export interface InstrumentReference {
  readonly symbol: string
  readonly name?: string | undefined
  readonly isin?: string | undefined
  readonly cusip?: string | undefined
  readonly figi?: string | undefined
}

/** Reads the reference CSV (header row: symbol,name,isin,cusip,figi; extra columns ignored). */
export function loadInstrumentReferences(path: string): Map<string, InstrumentReference> {
  const rows = parseCsvRows(readFileSync(path, 'utf8'), path).map((r) => r.cells)
  const header = (rows[0] ?? []).map((h) => h.trim().toLowerCase())
  const col = (row: readonly string[], name: string): string | undefined => {
    const i = header.indexOf(name)
    const v = i >= 0 ? row[i]?.trim() : undefined
    return v ? v : undefined
  }
  const out = new Map<string, InstrumentReference>()
  for (const row of rows.slice(1)) {
    const symbol = col(row, 'symbol')?.toUpperCase()
    if (!symbol) continue
    out.set(symbol, {
      symbol,
      name: col(row, 'name'),
      isin: col(row, 'isin'),
      cusip: col(row, 'cusip'),
      figi: col(row, 'figi'),
    })
  }
  return out
}

export function instrumentDocument(tenant: string, ref: InstrumentReference, at: Date): SearchDocument {
  const ids = [ref.isin, ref.cusip, ref.figi].filter((v): v is string => !!v)
  const title = [ref.symbol, ref.name, ...ids].filter(Boolean).join(' ')
  return {
    tenantId: tenant,
    type: 'instrument',
    id: ref.symbol,
    title,
    body: foldText(title),
    sealed: [],
    keys: keysOf([ref.symbol, ...ids], identifierKey),
    occurredAt: at,
    attributes: {},
  }
}

/**
 * Instruments: every symbol a tenant's ticks, rules or alerts name, with the reference data's name
 * and identifiers where present, and every reference instrument. Ticks are frequent: a symbol is
 * indexed once per process (the document only changes with the reference file).
 */
export function instrumentsSource(
  db: Db,
  references: ReadonlyMap<string, InstrumentReference>,
): SearchSource {
  const seen = new Set<string>()
  const refOfSymbol = (s: string): InstrumentReference => references.get(s) ?? { symbol: s }
  const symbols = async (tenant: string): Promise<string[]> => {
    const r = await sql<{ instrument: string }>`SELECT instrument FROM market_alert_rules
        WHERE tenant_id = ${tenant} AND instrument <> '*'
      UNION SELECT instrument FROM market_alerts WHERE tenant_id = ${tenant}`.execute(db)
    return [...new Set([...references.keys(), ...r.rows.map((x) => x.instrument)])].sort()
  }
  const byInstrument = refOf('instrument')
  return {
    type: 'instrument',
    prunable: false,
    topics: { [TICK_TOPIC]: byInstrument },
    refresh(tenant, refs) {
      const fresh = refs.filter((s) => !seen.has(`${tenant}\0${s}`))
      for (const s of fresh) seen.add(`${tenant}\0${s}`)
      const now = new Date()
      return Promise.resolve({
        upsert: fresh.map((s) => instrumentDocument(tenant, refOfSymbol(s), now)),
        removed: [],
      })
    },
    async scan(tenant, after, limit) {
      const all = (await symbols(tenant)).filter((s) => after === undefined || s > after).slice(0, limit)
      const now = new Date()
      const last = all[all.length - 1]
      return {
        docs: all.map((s) => instrumentDocument(tenant, refOfSymbol(s), now)),
        ...(all.length === limit && last ? { next: last } : {}),
      }
    },
    count: async (tenant) => (await symbols(tenant)).length,
  }
}

import { sql } from 'kysely'
import type { Db } from '../../../shared/db/connect.js'
import type { FieldCipher } from '../../crypto/index.js'
import { PARTIES_EVENTS, PARTY_DETAILS_FIELD, type PartyDetails } from '../../parties/index.js'
import { sealNames, type Sealer } from '../sealed.js'
import { identifierKey, NAME_SEPARATOR, type SearchDocument } from '../search.js'
import { refOf, type SearchSource } from './source.js'

interface PartyRow {
  party_id: string
  kind: string
  status: string
  risk_level: string
  details_ct: Uint8Array
  created_at: Date
  identifiers: (Uint8Array | string)[] | null
}

const hexOf = (b: Uint8Array | string): string =>
  typeof b === 'string' ? b.replace(/^\\x/, '') : Buffer.from(b).toString('hex')

/** A party's names (legal name first), decrypted from its details. */
async function partyNames(
  cipher: FieldCipher,
  tenant: string,
  id: string,
  ct: Uint8Array,
): Promise<string[]> {
  const ctx = { table: PARTY_DETAILS_FIELD.table, column: PARTY_DETAILS_FIELD.column, row: id }
  const details = JSON.parse(await cipher.decryptString(tenant, ctx, ct)) as PartyDetails
  return details.names.map((n) => n.value)
}

export interface PartiesSourceDeps {
  readonly db: Db
  readonly fieldCipher: FieldCipher
  readonly sealer: (tenant: string) => Sealer
}

const SELECT = sql`SELECT p.party_id, p.kind, p.status, p.risk_level, p.details_ct, p.created_at,
    (SELECT array_agg(s.bidx) FROM party_search s
      WHERE s.tenant_id = p.tenant_id AND s.party_id = p.party_id AND s.field = 'identifier') AS identifiers
  FROM parties p`

/**
 * Parties: names (every script, aliases) only as sealed tokens, identifiers only as the blind indexes
 * parties already keeps (party_search), the id in clear. The title stays empty: names are decrypted
 * per request by `revealPartyNames`, for the hits shown.
 */
export function partiesSource(deps: PartiesSourceDeps): SearchSource {
  const names = (tenant: string, r: PartyRow) =>
    partyNames(deps.fieldCipher, tenant, r.party_id, r.details_ct)
  const document = async (tenant: string, r: PartyRow): Promise<SearchDocument> => ({
    tenantId: tenant,
    type: 'party',
    id: r.party_id,
    title: '',
    body: r.party_id.toLowerCase(),
    sealed: sealNames(await names(tenant, r), deps.sealer(tenant)),
    keys: [identifierKey(r.party_id), ...(r.identifiers ?? []).map(hexOf)],
    occurredAt: new Date(r.created_at),
    attributes: { kind: r.kind, status: r.status, riskLevel: r.risk_level },
  })
  const byParty = refOf('partyId')
  return {
    type: 'party',
    prunable: true,
    topics: { [PARTIES_EVENTS.created]: byParty, [PARTIES_EVENTS.updated]: byParty },
    async refresh(tenant, ids) {
      const r = await sql<PartyRow>`${SELECT}
        WHERE p.tenant_id = ${tenant} AND p.party_id = ANY(${ids}::text[])`.execute(deps.db)
      const found = new Set(r.rows.map((x) => x.party_id))
      return {
        upsert: await Promise.all(r.rows.map((x) => document(tenant, x))),
        removed: ids.filter((i) => !found.has(i)),
      }
    },
    async scan(tenant, after, limit) {
      const r = await sql<PartyRow>`${SELECT}
        WHERE p.tenant_id = ${tenant} AND p.party_id > ${after ?? ''} ORDER BY p.party_id LIMIT ${limit}`.execute(
        deps.db,
      )
      const last = r.rows[r.rows.length - 1]
      return {
        docs: await Promise.all(r.rows.map((x) => document(tenant, x))),
        ...(r.rows.length === limit && last ? { next: last.party_id } : {}),
      }
    },
    async count(tenant) {
      const r = await sql<{ n: string | number | bigint }>`SELECT count(*) AS n FROM parties
        WHERE tenant_id = ${tenant}`.execute(deps.db)
      return Number(r.rows[0]?.n ?? 0)
    },
  }
}

/** Names of the parties shown in a page of hits (legal name first, then aliases), decrypted for it. */
export function revealPartyNames(deps: Pick<PartiesSourceDeps, 'db' | 'fieldCipher'>) {
  return async (tenant: string, ids: readonly string[]): Promise<Map<string, string>> => {
    if (ids.length === 0) return new Map()
    const r = await sql<{ party_id: string; details_ct: Uint8Array }>`SELECT party_id, details_ct FROM parties
      WHERE tenant_id = ${tenant} AND party_id = ANY(${ids}::text[])`.execute(deps.db)
    const out = new Map<string, string>()
    for (const row of r.rows)
      out.set(
        row.party_id,
        (await partyNames(deps.fieldCipher, tenant, row.party_id, row.details_ct)).join(NAME_SEPARATOR),
      )
    return out
  }
}

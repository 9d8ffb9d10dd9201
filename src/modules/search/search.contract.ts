import { createHmac, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SearchEngine } from './engine.js'
import { foldText, identifierKey, NAME_SEPARATOR, type SearchDocument, type SearchType } from './search.js'
import { sealNames, type Sealer } from './sealed.js'
import { createSearchService, type SearchService } from './search.service.js'

/**
 * The one contract every search engine passes (engines/*.contract.test.ts run it). Documents are
 * indexed straight into the engine; queries go through the service, as the API's do. Party names
 * are sealed with a per-tenant test key and revealed from a map, as parties' decryption would.
 */
export interface EngineUnderTest {
  readonly engine: SearchEngine
  close(): Promise<void>
}

const newTenant = (): string => `ten_search_${randomBytes(6).toString('hex')}`
const testKey = randomBytes(32)
const sealerOf =
  (tenant: string): Sealer =>
  (feature) =>
    createHmac('sha256', testKey).update(`${tenant}\0${feature}`).digest('hex').slice(0, 16)

const at = (iso: string) => new Date(iso)

function party(
  tenant: string,
  id: string,
  names: readonly string[],
  occurredAt = at('2026-01-10T00:00:00Z'),
) {
  const doc: SearchDocument = {
    tenantId: tenant,
    type: 'party',
    id,
    title: '',
    body: id,
    sealed: sealNames(names, sealerOf(tenant)),
    keys: [identifierKey(id)],
    occurredAt,
    attributes: { kind: 'person' },
  }
  return doc
}

function plain(
  tenant: string,
  type: SearchType,
  id: string,
  title: string,
  extra: Partial<SearchDocument> = {},
): SearchDocument {
  return {
    tenantId: tenant,
    type,
    id,
    title,
    body: foldText(`${id} ${title}`),
    sealed: [],
    keys: [identifierKey(id)],
    occurredAt: at('2026-02-01T00:00:00Z'),
    attributes: {},
    ...extra,
  }
}

export function searchEngineContract(name: string, open: () => Promise<EngineUnderTest>): void {
  describe(`search engine contract: ${name}`, () => {
    let under: EngineUnderTest
    let service: SearchService
    const titles = new Map<string, string>()
    const tenant = newTenant()
    const other = newTenant()

    beforeAll(async () => {
      under = await open()
      await under.engine.init()
      const partyNames: [string, string[]][] = [
        ['pty_smith', ['John Smith', 'Johnny Smith']],
        ['pty_smithers', ['Waylon Smithers']],
        ['pty_jones', ['Jonathan Jones']],
        ['pty_petrov', ['Иван Петров']],
        ['pty_mueller', ['Hans Müller']],
        ['pty_garcia', ['María García López']],
        ['pty_khamenei', ['A. Khamenei']],
        ['pty_makhlouf', ['RamiMakhlouf']],
        ['pty_pla', ['PLA']],
        ['pty_stripe', ['Stripe LLC']],
        ['pty_akhtar', ['Akhtar Mansour']],
      ]
      const docs: SearchDocument[] = partyNames.map(([id, names]) => {
        titles.set(id, names.join(NAME_SEPARATOR))
        return party(tenant, id, names)
      })
      docs.push(
        plain(tenant, 'instrument', 'AAPL', 'AAPL Apple Inc. US0378331005', {
          keys: ['AAPL', 'US0378331005', '037833100', 'BBG000B9XRY4'],
        }),
        plain(tenant, 'instrument', 'APD', 'APD Air Products and Chemicals', { keys: ['APD'] }),
        plain(tenant, 'payment', 'pay_01hx4242aa', 'pay_01hx4242aa 12.50 EUR visa 424242 4242 cus_ada', {
          keys: ['PAY01HX4242AA', '4242', '424242', 'CHREF777', 'CUSADA'],
          amount: 1250n,
          currency: 'EUR',
          occurredAt: at('2026-03-01T10:00:00Z'),
        }),
        plain(
          tenant,
          'payment',
          'pay_01hx1881bb',
          'pay_01hx1881bb 99.00 USD mastercard 555555 1881 cus_bob',
          {
            keys: ['PAY01HX1881BB', '1881', '555555', 'CUSBOB'],
            amount: 9900n,
            currency: 'USD',
            occurredAt: at('2026-04-01T10:00:00Z'),
          },
        ),
        plain(tenant, 'counterparty', 'cp_amazon', 'Amazon Marketplace', { keys: [] }),
        plain(tenant, 'ledger_account', 'acc_treasury_eur', 'acc_treasury_eur EUR treasury float'),
      )
      // Another tenant holds look-alikes of everything: none may ever show up in `tenant`'s answers.
      const otherDocs = [
        party(other, 'pty_other_smith', ['John Smith']),
        plain(other, 'instrument', 'AAPL', 'AAPL Apple Inc. US0378331005', {
          keys: ['AAPL', 'US0378331005'],
        }),
        plain(other, 'payment', 'pay_other4242', 'pay_other4242 visa 4242', { keys: ['4242'] }),
      ]
      titles.set('pty_other_smith', 'John Smith')
      await under.engine.upsert([...docs, ...otherDocs], new Date())
      service = createSearchService({
        engine: under.engine,
        sealer: sealerOf,
        reveal: (_t, _type, ids) =>
          Promise.resolve(new Map(ids.flatMap((id) => (titles.has(id) ? [[id, titles.get(id)!]] : [])))),
      })
    }, 120_000)
    afterAll(async () => {
      await under.engine.remove(tenant, 'party', [...titles.keys()])
      await under.close()
    }, 60_000)

    const top = async (q: string, extra: Record<string, unknown> = {}) =>
      (await service.search(tenant, { q, limit: 5, ...extra })).hits

    it('finds a misspelt name: "Jon Smyth" → John Smith first', async () => {
      const hits = await top('Jon Smyth')
      expect(hits[0]?.id).toBe('pty_smith')
      expect(hits[0]?.title).toContain('John Smith')
    })

    it('finds a name across scripts and transliterations: "Ivan Petrov", "Iwan Petroff" → Иван Петров, "Hans Mueller" → Hans Müller', async () => {
      expect((await top('Ivan Petrov'))[0]?.id).toBe('pty_petrov')
      expect((await top('Иван Петров'))[0]?.id).toBe('pty_petrov')
      expect((await top('Iwan Petroff'))[0]?.id).toBe('pty_petrov')
      expect((await top('Hans Mueller'))[0]?.id).toBe('pty_mueller')
      expect((await top('maria garcia'))[0]?.id).toBe('pty_garcia')
    })

    it('finds a name from an initial, and from one of two words only when no party matches both', async () => {
      const initial = await top('J Smith')
      expect(initial[0]?.id).toBe('pty_smith')
      expect(initial.map((h) => h.id)).not.toContain('pty_smithers')
      // "Liz" matches no name: the parties matching the other word, rather than nothing.
      expect((await top('Liz Jones')).map((h) => h.id)).toEqual(['pty_jones'])
      // A full match exists: parties matching one word only stay out.
      expect((await top('Jon Smyth')).map((h) => h.id)).not.toContain('pty_jones')
    })

    it('finds a name written with initials, run together or abbreviated, and a legal form written out', async () => {
      expect((await top('Ali Khamenei'))[0]?.id).toBe('pty_khamenei')
      expect((await top('Rami Makhlouf'))[0]?.id).toBe('pty_makhlouf')
      expect((await top('People’s Liberation Army'))[0]?.id).toBe('pty_pla')
      expect((await top('Stripe Limited Liability Company'))[0]?.id).toBe('pty_stripe')
    })

    it('finds a record from a query that names more than it holds: "Akhtar Mohammad Mansour Shah Mohammed"', async () => {
      expect((await top('Akhtar Mohammad Mansour Shah Mohammed'))[0]?.id).toBe('pty_akhtar')
    })

    it('finds by prefix: "Jonath" → Jonathan Jones; "Smithe" → Waylon Smithers', async () => {
      expect((await top('Jonath'))[0]?.id).toBe('pty_jones')
      expect((await top('Smithe'))[0]?.id).toBe('pty_smithers')
    })

    it('finds an instrument from a misspelt symbol: "APPL" → Apple Inc.', async () => {
      const hits = await top('APPL')
      expect(hits[0]?.id).toBe('AAPL')
      expect(hits[0]?.title).toContain('Apple Inc.')
    })

    it('matches identifiers exactly: ISIN, FIGI, a gateway reference, last four', async () => {
      expect((await top('US0378331005'))[0]?.id).toBe('AAPL')
      expect((await top('BBG000B9XRY4'))[0]?.id).toBe('AAPL')
      expect((await top('ch_ref777'))[0]?.id).toBe('pay_01hx4242aa')
      const four = await top('4242', { types: ['payment'] })
      expect(four.map((h) => h.id)).toEqual(['pay_01hx4242aa'])
    })

    it('filters by type, amount range, date range and currency', async () => {
      const all = await service.search(tenant, { q: 'pay_01hx', limit: 10, types: ['payment'] })
      expect(all.hits.map((h) => h.id).sort()).toEqual(['pay_01hx1881bb', 'pay_01hx4242aa'])
      const big = await top('pay_01hx', { types: ['payment'], amountMin: 5000n })
      expect(big.map((h) => h.id)).toEqual(['pay_01hx1881bb'])
      const small = await top('pay_01hx', { types: ['payment'], amountMax: 5000n })
      expect(small.map((h) => h.id)).toEqual(['pay_01hx4242aa'])
      const march = await top('pay_01hx', {
        from: at('2026-03-01T00:00:00Z'),
        to: at('2026-03-31T00:00:00Z'),
      })
      expect(march.map((h) => h.id)).toEqual(['pay_01hx4242aa'])
      const usd = await top('pay_01hx', { currency: 'USD' })
      expect(usd.map((h) => h.id)).toEqual(['pay_01hx1881bb'])
      expect((await top('John Smith', { types: ['instrument'] })).some((h) => h.type !== 'instrument')).toBe(
        false,
      )
    })

    it("never answers with another tenant's documents", async () => {
      for (const q of ['John Smith', 'AAPL', '4242', 'pay_other4242']) {
        const page = await service.search(tenant, { q, limit: 20 })
        expect(page.hits.map((h) => h.id)).not.toContain('pty_other_smith')
        expect(page.hits.map((h) => h.id)).not.toContain('pay_other4242')
      }
      const theirs = await service.search(other, { q: 'Jon Smyth', limit: 20 })
      expect(theirs.hits.map((h) => h.id)).toEqual(['pty_other_smith'])
      expect((await under.engine.count(other)).party).toBe(1)
    })

    it('ranks closer matches first and highlights the matched words', async () => {
      const hits = await top('Smith')
      expect(hits[0]?.id).toBe('pty_smith')
      expect(hits.map((h) => h.id)).toContain('pty_smithers')
      const marked = hits[0]!.highlight.filter((h) => h.match).map((h) => h.text)
      expect(marked).toContain('Smith')
      expect(hits[0]!.highlight.map((h) => h.text).join('')).toBe(hits[0]!.title)
    })

    it('pages without overlap or gaps', async () => {
      const first = await service.search(tenant, { q: 'smith', limit: 1 })
      const second = await service.search(tenant, { q: 'smith', limit: 1, offset: 1 })
      const both = await service.search(tenant, { q: 'smith', limit: 2 })
      expect(first.total).toBeGreaterThanOrEqual(2)
      expect([first.hits[0]?.id, second.hits[0]?.id]).toEqual(both.hits.map((h) => h.id))
    })

    it('replaces a document on upsert and forgets it on remove and on removeStale', async () => {
      const t = newTenant()
      const before = new Date(Date.now() - 60_000)
      await under.engine.upsert([plain(t, 'counterparty', 'cp_x', 'Acme Widgets')], before)
      await under.engine.upsert([plain(t, 'counterparty', 'cp_x', 'Zenith Gadgets')], new Date())
      const s = createSearchService({ engine: under.engine, sealer: sealerOf })
      expect((await s.search(t, { q: 'Zenith' })).hits.map((h) => h.id)).toEqual(['cp_x'])
      expect((await s.search(t, { q: 'Acme Widgets' })).hits).toEqual([])
      await under.engine.upsert([plain(t, 'counterparty', 'cp_old', 'Old Gadgets')], before)
      expect(await under.engine.removeStale(t, 'counterparty', new Date(Date.now() - 30_000))).toBe(1)
      expect((await s.search(t, { q: 'gadgets' })).hits.map((h) => h.id)).toEqual(['cp_x'])
      await under.engine.remove(t, 'counterparty', ['cp_x'])
      expect((await s.search(t, { q: 'Zenith' })).hits).toEqual([])
    })

    it('refuses an empty or oversized query with SEARCH_INVALID_QUERY', async () => {
      await expect(service.search(tenant, { q: '   ' })).rejects.toMatchObject({
        code: 'SEARCH_INVALID_QUERY',
      })
      await expect(service.search(tenant, { q: 'x'.repeat(201) })).rejects.toMatchObject({
        code: 'SEARCH_INVALID_QUERY',
      })
      await expect(service.search(tenant, { q: 'smith', limit: 0 })).rejects.toMatchObject({
        code: 'SEARCH_INVALID_QUERY',
      })
    })
  })
}

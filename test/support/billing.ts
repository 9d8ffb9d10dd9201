import type { App } from '../../src/app.js'
import { balanceOr } from './balances.js'

export const billingActor = { actor: 'test', origin: 'test' }

/** A customer party for billing tests. */
export async function createCustomer(app: App, tenant: string, name = 'Ada Lovelace'): Promise<string> {
  const r = await app.services.parties.create(
    tenant,
    {
      kind: 'person',
      roles: ['customer'],
      details: { names: [{ value: name, kind: 'legal' }], nationalities: [], addresses: [], identifiers: [] },
    },
    billingActor,
  )
  return r.party.id
}

/** Posted balances of billing's accounts in a currency (absent accounts read as 0). */
export async function billingBalances(app: App, tenant: string, currency: string, gateway = 'sandbox') {
  const read = async (id: string) =>
    balanceOr(async () => (await app.services.ledger.getAccount(tenant, id)).balances.posted, 0n)
  return {
    receivable: await read(`bill.receivable.${currency}`),
    deferred: await read(`bill.deferred.${currency}`),
    revenue: await read(`bill.revenue.${currency}`),
    tax: await read(`bill.tax.${currency}`),
    credit: await read(`bill.credit.${currency}`),
    badDebt: await read(`bill.bad_debt.${currency}`),
    gateway: await read(`bill.gateway.${gateway}.${currency}`),
  }
}

import { Type } from '@sinclair/typebox'
import type { AppServices } from '../../app.js'
import type {
  BankAccount,
  BankItem,
  BankTransaction,
  BankTransfer,
  ItemView,
  ProviderName,
} from '../../modules/banking/index.js'
import { actorOf } from './parties.js'
import { tenantOf, type ApiApp } from '../server.js'
import { parseRawJsonObject } from '../input-guard.js'
import { ErrorResponse } from '../error-schema.js'

const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_:.-]+$' })
const IdParams = Type.Object({ id: Id })
const Provider = Type.Union([Type.Literal('sandbox'), Type.Literal('plaid'), Type.Literal('teller')])
const Ok = Type.Unknown()
const errors = {
  200: Ok,
  201: Ok,
  400: ErrorResponse,
  404: ErrorResponse,
  409: ErrorResponse,
  422: ErrorResponse,
  503: ErrorResponse,
}
const tags = ['banking']

const iso = (d: Date | null) => (d ? d.toISOString() : null)
const accountJson = ({ capture, createdAt, providerAccountId: _p, ...a }: BankAccount) => ({
  ...a,
  mask: capture.mask,
  institution: {
    id: capture.institutionId,
    name: capture.institutionName,
    routingNumber: capture.routingNumber,
    ownerNames: capture.ownerNames,
  },
  createdAt: createdAt.toISOString(),
})
const itemJson = (i: BankItem & { accounts?: readonly BankAccount[] }) => ({
  id: i.id,
  provider: i.provider,
  providerItemId: i.providerItemId,
  customerId: i.customerId,
  institution: { id: i.institutionId, name: i.institutionName },
  status: i.status,
  errorCode: i.errorCode,
  lastSyncedAt: iso(i.lastSyncedAt),
  createdAt: i.createdAt.toISOString(),
  ...(i.accounts ? { accounts: i.accounts.map(accountJson) } : {}),
})
const txnJson = (t: BankTransaction) => ({ ...t, id: t.providerTransactionId, amount: t.amount.toString() })
const transferJson = (t: BankTransfer) => ({
  ...t,
  amount: t.amount.toString(),
  createdAt: t.createdAt.toISOString(),
  settledAt: iso(t.settledAt),
  returnedAt: iso(t.returnedAt),
})

/** Bank data: linking (Plaid, Teller, sandbox), balances, transaction sync, checked bank transfers. */
export function registerBankingRoutes(app: ApiApp, services: AppServices): void {
  const b = services.banking

  app.post(
    '/v1/banking/link-tokens',
    {
      schema: {
        summary: 'Create a link token for a customer (pass itemId for update mode / re-authentication)',
        tags,
        body: Type.Object(
          {
            customerId: Id,
            customerName: Type.String({ minLength: 1, maxLength: 200 }),
            provider: Type.Optional(Provider),
            itemId: Type.Optional(Id),
          },
          { additionalProperties: false },
        ),
        response: { ...errors },
      },
    },
    async (req, reply) => {
      const r = await b.createLinkToken(tenantOf(req), req.body)
      return reply.status(201).send({ ...r, expiresAt: r.expiresAt.toISOString() })
    },
  )

  app.post(
    '/v1/banking/items',
    {
      schema: {
        summary: 'Exchange a public token from Link for a linked item (captures the institution metadata)',
        tags,
        body: Type.Object(
          {
            linkToken: Type.String({ minLength: 1, maxLength: 200 }),
            publicToken: Type.String({ minLength: 1, maxLength: 500 }),
            partyId: Type.Optional(
              Type.String({ pattern: '^pty_[0-9a-f]{32}$', description: 'The party whose bank this is' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { ...errors },
      },
    },
    async (req, reply) => {
      const { partyId, ...exchange } = req.body
      // The owner is checked before the item exists and linked after, as payments do (docs/parties.md).
      if (partyId) await services.parties.get(tenantOf(req), partyId)
      const item = await b.exchange(tenantOf(req), exchange)
      if (partyId) await services.parties.link(tenantOf(req), partyId, 'bank_item', item.id, 'owner')
      return reply.status(201).send({ ...itemJson(item), ...(partyId ? { partyId } : {}) })
    },
  )

  app.get(
    '/v1/banking/items',
    {
      schema: {
        summary: 'List linked items',
        tags,
        querystring: Type.Object({ customerId: Type.Optional(Id) }),
      },
    },
    async (req) => ({ items: (await b.listItems(tenantOf(req), req.query.customerId)).map(itemJson) }),
  )

  app.get(
    '/v1/banking/items/:id',
    {
      schema: { summary: 'A linked item with its accounts', tags, params: IdParams, response: { ...errors } },
    },
    async (req) => itemJson(await b.getItem(tenantOf(req), req.params.id)),
  )

  app.delete(
    '/v1/banking/items/:id',
    {
      schema: {
        summary: 'Unlink: revoke the access token at the provider',
        tags,
        params: IdParams,
        response: { ...errors },
      },
    },
    async (req) => itemJson(await b.unlink(tenantOf(req), req.params.id)),
  )

  app.post(
    '/v1/banking/items/:id/sync',
    {
      schema: {
        summary: 'Sync transactions now (incremental, by cursor)',
        tags,
        params: IdParams,
        response: { ...errors },
      },
    },
    async (req) => b.sync(tenantOf(req), req.params.id, 'manual'),
  )

  app.get(
    '/v1/banking/accounts',
    {
      schema: {
        summary: 'List linked bank accounts',
        tags,
        querystring: Type.Object({ itemId: Type.Optional(Id), customerId: Type.Optional(Id) }),
      },
    },
    async (req) => {
      const f = req.query
      const accounts = await b.listAccounts(tenantOf(req), {
        ...(f.itemId ? { itemId: f.itemId } : {}),
        ...(f.customerId ? { customerId: f.customerId } : {}),
      })
      return { items: accounts.map(accountJson) }
    },
  )

  app.get(
    '/v1/banking/accounts/:id',
    { schema: { summary: 'A linked bank account', tags, params: IdParams, response: { ...errors } } },
    async (req) => accountJson(await b.getAccount(tenantOf(req), req.params.id)),
  )

  app.get(
    '/v1/banking/accounts/:id/balance',
    {
      schema: {
        summary: 'Real-time balance from the provider',
        tags,
        params: IdParams,
        response: { ...errors },
      },
    },
    async (req) => {
      const r = await b.balance(tenantOf(req), req.params.id)
      return {
        accountId: r.accountId,
        currency: r.currency,
        available: r.available?.toString() ?? null,
        current: r.current?.toString() ?? null,
        asOf: r.asOf.toISOString(),
      }
    },
  )

  app.get(
    '/v1/banking/accounts/:id/transactions',
    {
      schema: {
        summary: 'Synced transactions, newest first',
        tags,
        params: IdParams,
        querystring: Type.Object({
          limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
          after: Type.Optional(Type.String({ maxLength: 300 })),
        }),
        response: { ...errors },
      },
    },
    async (req) => {
      const page = await b.transactions(tenantOf(req), req.params.id, {
        ...(req.query.limit ? { limit: Number(req.query.limit) } : {}),
        ...(req.query.after ? { after: req.query.after } : {}),
      })
      return { items: page.items.map(txnJson), next: page.next }
    },
  )

  app.post(
    '/v1/banking/transfers',
    {
      schema: {
        summary: 'Create a bank transfer (pay-in: debit, payout: credit) after the institution checks',
        tags,
        headers: Type.Object({
          'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
        }),
        body: Type.Object(
          {
            accountId: Id,
            direction: Type.Union([Type.Literal('debit'), Type.Literal('credit')]),
            amount: Type.String({ pattern: '^[0-9]{1,20}$', description: 'Integer minor units' }),
            currency: Type.String({ pattern: '^[A-Z]{3}$' }),
            ledgerAccountId: Type.Optional(Id),
            description: Type.Optional(Type.String({ maxLength: 500 })),
            partyId: Type.Optional(
              Type.String({
                pattern: '^pty_[0-9a-f]{32}$',
                description:
                  'Counterparty: screened first; a possible match holds the transfer (409 SCREENING_REVIEW_REQUIRED)',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { ...errors },
      },
    },
    async (req, reply) => {
      // Through the parties screening gate (src/money-executors.ts runs the transfer).
      const { partyId, ...request } = req.body
      const done = await services.parties.submit(
        tenantOf(req),
        { kind: 'bank_transfer', partyId, idempotencyKey: req.headers['idempotency-key'], request },
        actorOf(req),
      )
      const r = done.value as { transfer: Parameters<typeof transferJson>[0]; replayed: boolean }
      return reply
        .status(r.replayed ? 200 : 201)
        .send({ ...transferJson(r.transfer), replayed: r.replayed, ...(partyId ? { partyId } : {}) })
    },
  )

  app.get(
    '/v1/banking/transfers',
    {
      schema: {
        summary: 'List bank transfers',
        tags,
        querystring: Type.Object({ accountId: Type.Optional(Id) }),
      },
    },
    async (req) => ({ items: (await b.listTransfers(tenantOf(req), req.query.accountId)).map(transferJson) }),
  )

  app.get(
    '/v1/banking/transfers/:id',
    { schema: { summary: 'A bank transfer', tags, params: IdParams, response: { ...errors } } },
    async (req) => transferJson(await b.getTransfer(tenantOf(req), req.params.id)),
  )

  app.post(
    '/v1/banking/transfers/:id/settle',
    {
      schema: {
        summary: 'Settle a pending transfer (sandbox rail / operator)',
        tags,
        params: IdParams,
        response: { ...errors },
      },
    },
    async (req) => transferJson(await b.settleTransfer(tenantOf(req), req.params.id)),
  )

  app.post(
    '/v1/banking/transfers/:id/return',
    {
      schema: {
        summary: 'Record an ACH return (R01, R02, …) (sandbox rail / operator)',
        tags,
        params: IdParams,
        body: Type.Object({ code: Type.String({ pattern: '^R[0-9]{2}$' }) }, { additionalProperties: false }),
        response: { ...errors },
      },
    },
    async (req) => transferJson(await b.returnTransfer(tenantOf(req), req.params.id, req.body.code)),
  )

  app.post(
    '/v1/banking/sandbox/items/:id/simulate',
    {
      schema: {
        summary: 'Sandbox only: change what the sandbox bank reports for an item',
        tags,
        params: IdParams,
        body: Type.Object(
          {
            routingNumber: Type.Optional(Type.String({ pattern: '^[0-9]{9}$' })),
            institutionId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            balance: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$' })),
            ownerNames: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 10 })),
            closed: Type.Optional(Type.Boolean()),
            verification: Type.Optional(
              Type.Union([Type.Literal('verified'), Type.Literal('pending'), Type.Literal('failed')]),
            ),
            loginRequired: Type.Optional(Type.Boolean()),
            addTransactions: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
            removeTransactions: Type.Optional(
              Type.Array(Type.String({ maxLength: 200 }), { maxItems: 1000 }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { ...errors },
      },
    },
    async (req) => {
      const { balance, ...rest } = req.body
      const item: ItemView = await b.simulate(tenantOf(req), req.params.id, {
        ...rest,
        ...(balance !== undefined ? { balance: BigInt(balance) } : {}),
      })
      return itemJson(item)
    },
  )

  // Provider webhooks: signatures cover the exact bytes, so this scope parses bodies as raw Buffers.
  // (/v1/webhooks/:gateway belongs to payment gateways; bank providers use their own prefix.)
  void app.register((scope, _opts, done) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser(
      ['application/json', 'text/plain'],
      { parseAs: 'buffer' },
      (_req, body, done) => done(null, body),
    )
    scope.post(
      '/v1/banking/webhooks/:provider',
      {
        config: { public: true },
        schema: {
          summary: 'Receive a bank data provider webhook (Plaid-Verification JWT, Teller-Signature HMAC)',
          tags,
          security: [],
          params: Type.Object({ provider: Provider }),
          response: { 200: Ok, 400: ErrorResponse, 401: ErrorResponse, 404: ErrorResponse },
        },
      },
      async (req) => {
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
        // Every bank provider sends a JSON object: anything else is refused before a provider parses it.
        parseRawJsonObject(raw)
        const headers: Record<string, string | undefined> = {}
        for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v[0] : v
        const { provider } = req.params as { provider: ProviderName }
        const r = await b.handleWebhook(provider, raw, headers)
        return { received: true, ...r }
      },
    )
    done()
  })
}

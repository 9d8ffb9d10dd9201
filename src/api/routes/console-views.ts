import { Type } from '@sinclair/typebox'
import type { AppServices } from '../../app.js'
import { ledgerError } from '../../modules/ledger/index.js'
import { paymentError } from '../../modules/payments/index.js'
import type { TimelineItem } from '../../modules/views/index.js'
import { tenantOf, type ApiApp } from '../server.js'

/** Read routes the operator console needs beyond each module's own (ADR 1702); every one is a GET. */
const ErrorResponse = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }),
})
const Amount = Type.String({ pattern: '^-?[0-9]+$', description: 'integer minor units' })
const AccountId = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_:.-]+$' }),
})
const PaymentId = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_]+$' }),
})

const TimelineItemSchema = Type.Object({
  at: Type.String({ format: 'date-time' }),
  kind: Type.Union(
    ['state', 'gateway_call', 'webhook_received', 'ledger_posting', 'webhook_sent'].map((k) =>
      Type.Literal(k),
    ),
  ),
  title: Type.String(),
  details: Type.Record(Type.String(), Type.String()),
  entries: Type.Optional(
    Type.Array(
      Type.Object({
        account: Type.String(),
        side: Type.Union([Type.Literal('debit'), Type.Literal('credit')]),
        kind: Type.String(),
        amount: Amount,
        currency: Type.String(),
        balanceAfter: Amount,
      }),
    ),
  ),
})

const timelineJson = (i: TimelineItem) => ({
  at: i.at.toISOString(),
  kind: i.kind,
  title: i.title,
  details: { ...i.details },
  ...(i.entries
    ? {
        entries: i.entries.map((e) => ({
          ...e,
          amount: e.amount.toString(),
          balanceAfter: e.balanceAfter.toString(),
        })),
      }
    : {}),
})

export function registerConsoleViewRoutes(app: ApiApp, services: AppServices): void {
  app.get(
    '/v1/payments/:id/timeline',
    {
      schema: {
        tags: ['payments'],
        summary:
          "A payment's timeline: state changes, gateway calls, webhooks received, ledger postings (with balances after), outgoing webhooks",
        params: PaymentId,
        response: {
          200: Type.Object({ items: Type.Array(TimelineItemSchema) }),
          400: ErrorResponse,
          404: ErrorResponse,
        },
      },
    },
    async (req) => {
      const items = await services.views.paymentTimeline(tenantOf(req), req.params.id)
      if (!items) throw paymentError('PAYMENT_NOT_FOUND')
      return { items: items.map(timelineJson) }
    },
  )

  app.get(
    '/v1/accounts/:id/series',
    {
      schema: {
        tags: ['ledger'],
        summary: "An account's posted balance over time: up to 120 entries spread over its whole history",
        params: AccountId,
        response: {
          200: Type.Object({
            accountId: Type.String(),
            currency: Type.String(),
            entries: Type.String({ description: 'entries in the history (the last seq)' }),
            points: Type.Array(
              Type.Object({ seq: Type.String(), at: Type.String({ format: 'date-time' }), posted: Amount }),
            ),
          }),
          400: ErrorResponse,
          404: ErrorResponse,
        },
      },
    },
    async (req) => {
      const s = await services.views.balanceSeries(tenantOf(req), req.params.id)
      if (!s) throw ledgerError('LEDGER_ACCOUNT_NOT_FOUND')
      return {
        accountId: s.accountId,
        currency: s.currency,
        entries: s.entries.toString(),
        points: s.points.map((p) => ({
          seq: p.seq.toString(),
          at: p.at.toISOString(),
          posted: p.posted.toString(),
        })),
      }
    },
  )

  app.get(
    '/v1/ledger/totals',
    {
      schema: {
        tags: ['ledger'],
        summary: 'Per currency: accounts and the sums of their posted and pending debits and credits',
        response: {
          200: Type.Object({
            currencies: Type.Array(
              Type.Object({
                currency: Type.String(),
                accounts: Type.Integer(),
                debitsPosted: Amount,
                creditsPosted: Amount,
                debitsPending: Amount,
                creditsPending: Amount,
              }),
            ),
          }),
        },
      },
    },
    async (req) => ({
      currencies: (await services.views.ledgerTotals(tenantOf(req))).map((t) => ({
        currency: t.currency,
        accounts: t.accounts,
        debitsPosted: t.debitsPosted.toString(),
        creditsPosted: t.creditsPosted.toString(),
        debitsPending: t.debitsPending.toString(),
        creditsPending: t.creditsPending.toString(),
      })),
    }),
  )

  app.get(
    '/v1/ledger/verify',
    {
      schema: {
        tags: ['ledger'],
        summary:
          "`moneta ledger verify` for the caller's tenant: transactions net to zero, balances equal their entries, totals are zero, no sequence gaps",
        response: {
          200: Type.Object({
            ok: Type.Boolean(),
            violations: Type.Array(
              Type.Object({ kind: Type.String(), ref: Type.String(), detail: Type.String() }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const report = await services.ledger.verify(tenantOf(req))
      return {
        ok: report.ok,
        violations: report.violations.map((v) => ({ kind: v.kind, ref: v.ref, detail: v.detail })),
      }
    },
  )
}

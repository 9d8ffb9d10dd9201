/**
 * Revenue recognition: each invoice line earns its amount (less credit notes) straight-line over
 * [period_start, recognize_end). A pass moves what was earned since the last pass from deferred
 * revenue to revenue; the posting's key carries the cumulative figure, so a replay posts nothing.
 */
import { sql } from 'kysely'
import { assertPosted, recognitionPosting } from './billing.ledger.js'
import type { BillingContext } from './context.js'
import { earned } from './pricing.js'

export async function recognizeUpTo(ctx: BillingContext, tenant: string, at: Date): Promise<number> {
  let after = { invoice: '', line: 0 }
  let posted = 0
  for (;;) {
    const batch = await ctx.db.transaction().execute(async (tx) => {
      const r = await sql<Record<string, unknown>>`
        SELECT l.invoice_id, l.line_no, l.amount, l.credited, l.recognized, l.period_start, l.recognize_end, i.currency
        FROM billing_invoice_lines l
        JOIN billing_invoices i ON i.tenant_id = l.tenant_id AND i.invoice_id = l.invoice_id
        WHERE l.tenant_id = ${tenant} AND l.recognized + l.credited < l.amount AND l.period_start < ${at}
          AND (l.invoice_id, l.line_no) > (${after.invoice}, ${after.line})
        ORDER BY l.invoice_id, l.line_no
        LIMIT ${ctx.batchSize}
        FOR UPDATE OF l SKIP LOCKED`.execute(tx)
      if (r.rows.length === 0) return undefined
      const last = r.rows[r.rows.length - 1]!
      after = { invoice: last.invoice_id as string, line: last.line_no as number }
      const moves = r.rows.flatMap((row) => {
        const remaining = BigInt(row.amount as bigint) - BigInt(row.credited as bigint)
        const target = earned(
          remaining,
          new Date(row.period_start as string),
          new Date(row.recognize_end as string),
          at,
        )
        const delta = target - BigInt(row.recognized as bigint)
        return delta > 0n
          ? [
              {
                inv: row.invoice_id as string,
                line: row.line_no as number,
                cur: row.currency as string,
                delta,
                target,
              },
            ]
          : []
      })
      if (moves.length === 0) return 0
      await sql`UPDATE billing_invoice_lines l SET recognized = x.target
        FROM unnest(${moves.map((m) => m.inv)}::text[], ${moves.map((m) => m.line)}::int[],
          ${moves.map((m) => m.target.toString())}::bigint[]) AS x(inv, line, target)
        WHERE l.tenant_id = ${tenant} AND l.invoice_id = x.inv AND l.line_no = x.line`.execute(tx)
      assertPosted(
        await ctx.ledger.execute(
          tenant,
          moves.map((m) =>
            recognitionPosting({
              invoiceId: m.inv,
              lineNo: m.line,
              currency: m.cur,
              amount: m.delta,
              recognizedTotal: m.target,
            }),
          ),
          { tx, atomic: true },
        ),
      )
      return moves.length
    })
    if (batch === undefined) return posted
    posted += batch
  }
}

import { readFileSync } from 'node:fs'
import { sql } from 'kysely'
import { connect } from '../src/shared/db/connect.js'
import { insertRows, type NewInboxRow } from '../src/modules/payments/inbox/webhook-inbox.store.js'
import { newId } from '../src/shared/ids.js'
const cpu = (pid: number) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) / 100 }
const h = await connect({ databaseUrl: process.argv[2], poolSize: 1 })
const pid = Number((await sql<{ p: number }>`SELECT pg_backend_pid() AS p`.execute(h.db)).rows[0]!.p)
const body = JSON.stringify({ id: 'x', type: 'payment.captured', data: { object: { id: 'ch_x', amount: 500, currency: 'usd', metadata: { paymentId: 'pay_x' } } }, created: 1 })
const mk = (t: string): NewInboxRow => { const id = newId('evt'); return { tenantId: t, gateway: 'sandbox', event: { id, type: 'payment.captured', vendorType: 'charge.captured', paymentRef: newId('ch'), paymentId: newId('pay'), amount: '500', currency: 'USD', occurredAt: new Date().toISOString() } as never, rawBody: Buffer.from(body.replace('"x"', `"${id}"`)), headers: { 'webhook-id': id, 'webhook-timestamp': '1700000000', 'webhook-signature': 'v1,' + 'a'.repeat(44), 'content-type': 'application/json', host: '127.0.0.1:4700', 'content-length': '300', connection: 'keep-alive' }, receivedAt: new Date() } }
for (const batch of [50, 150]) for (let r = 0; r < 3; r++) {
  const t = newId('ten'); const n = 15000
  const c0 = cpu(pid); const w0 = performance.now()
  for (let i = 0; i < n; i += batch) await insertRows(h.db, Array.from({ length: batch }, () => mk(t)))
  console.log(`batch ${batch}: backend ${((cpu(pid) - c0) * 1e6 / n).toFixed(1)} µs/row, wall ${((performance.now() - w0) * 1000 / n).toFixed(1)} µs/row`)
  await sql`DELETE FROM payment_webhook_inbox WHERE tenant_id = ${t}`.execute(h.db)
}
await h.close()

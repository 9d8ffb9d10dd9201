import { readFileSync } from 'node:fs'
import { sql } from 'kysely'
import { connect } from '../src/shared/db/connect.js'
import { newId } from '../src/shared/ids.js'
const cpu = (pid: number) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) / 100 }
const h = await connect({ databaseUrl: process.argv[2], poolSize: 1 })
const pid = Number((await sql<{ p: number }>`SELECT pg_backend_pid() AS p`.execute(h.db)).rows[0]!.p)
await sql`DROP TABLE IF EXISTS probe_a, probe_b, probe_c`.execute(h.db)
await sql`CREATE TABLE probe_a (LIKE payment_webhook_inbox INCLUDING ALL)`.execute(h.db)
await sql`CREATE TABLE probe_b (LIKE payment_webhook_inbox INCLUDING ALL)`.execute(h.db)
await sql`ALTER TABLE probe_b ALTER COLUMN analytics_seq SET DEFAULT nextval('analytics_seq_gen')`.execute(h.db)
await sql`CREATE TABLE probe_c (LIKE payment_webhook_inbox INCLUDING ALL)`.execute(h.db)
await sql`ALTER TABLE probe_c ALTER COLUMN analytics_seq SET DEFAULT nextval('analytics_seq_gen')`.execute(h.db)
await sql`ALTER TABLE probe_c ALTER COLUMN raw_body SET STORAGE EXTERNAL`.execute(h.db)
const body = JSON.stringify({ id: 'x', type: 'payment.captured', data: { object: { id: 'ch_x', amount: 500, currency: 'usd', metadata: { paymentId: 'pay_x' } } }, created: 1 })
const mk = (t: string) => { const id = newId('evt'); return { t, g: 'sandbox', e: id, ty: 'payment.captured', vt: 'charge.captured', pr: newId('ch'), pi: newId('pay'), ev: { id, type: 'payment.captured', vendorType: 'charge.captured', paymentRef: 'ch', paymentId: 'pay', amount: '500', currency: 'USD', occurredAt: new Date().toISOString() }, rb: Buffer.from(body).toString('base64'), h: { 'webhook-id': id, 'webhook-timestamp': '1700000000', 'webhook-signature': 'v1,' + 'a'.repeat(44), 'content-type': 'application/json', host: '127.0.0.1:4700', 'content-length': '300', connection: 'keep-alive' }, at: new Date() } }
const ins = (table: string, rows: unknown[]) => sql`
    INSERT INTO ${sql.table(table)} (tenant_id, gateway, event_id, event_type, vendor_type, payment_ref, payment_id, event, raw_body, headers, received_at, next_attempt_at)
    SELECT x.t, x.g, x.e, x.ty, x.vt, x.pr, x.pi, x.ev, decode(x.rb, 'base64'), x.h, x.at, x.at
    FROM json_to_recordset(${JSON.stringify(rows)}::json)
         AS x(t text, g text, e text, ty text, vt text, pr text, pi text, ev jsonb, rb text, h jsonb, at timestamptz)
    ON CONFLICT DO NOTHING RETURNING tenant_id, gateway, event_id`.execute(h.db)
for (let r = 0; r < 3; r++) for (const table of ['payment_webhook_inbox', 'probe_a', 'probe_b']) {
  const t = newId('ten'); const n = 10000, batch = 100
  const c0 = cpu(pid)
  for (let i = 0; i < n; i += batch) await ins(table, Array.from({ length: batch }, () => mk(t)))
  console.log(`${table}: backend ${((cpu(pid) - c0) * 1e6 / n).toFixed(1)} µs/row`)
}
await sql`DELETE FROM payment_webhook_inbox WHERE tenant_id LIKE 'ten_%' AND gateway='sandbox' AND event_type='payment.captured' AND headers ? 'connection' AND status='pending' AND received_at > now() - interval '1 hour' AND payment_ref LIKE 'ch_%' AND payment_id LIKE 'pay_%' AND vendor_type='charge.captured' AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.payment_id = payment_webhook_inbox.payment_id)`.execute(h.db)
await sql`DROP TABLE IF EXISTS probe_a, probe_b, probe_c`.execute(h.db)
await h.close()

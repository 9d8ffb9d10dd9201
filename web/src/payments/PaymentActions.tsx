import { useState } from 'preact/hooks'
import { api, errorText } from '../api'
import { ErrorNote } from '../components'
import { money } from '../money'
import { refundable, type Payment } from './types'

type Action = 'capture' | 'refund' | 'cancel'

const CANCELLABLE = new Set(['requires_confirmation', 'requires_action', 'requires_capture'])

/** What the payment's state allows (the API decides anyway; a refused command shows its error code). */
export function allowedActions(p: Payment): Action[] {
  const out: Action[] = []
  if (BigInt(p.amountCapturable) > 0n) out.push('capture')
  if (refundable(p) > 0n) out.push('refund')
  if (CANCELLABLE.has(p.status)) out.push('cancel')
  return out
}

/**
 * Capture, refund or cancel. Each open form owns one idempotency key for its life, so a double click, or a
 * retry after an answer lost on the way, moves the money once; a new form is a new request.
 */
export function PaymentActions(props: { payment: Payment; onDone: (text: string) => void }) {
  const p = props.payment
  const [open, setOpen] = useState<Action | null>(null)
  const actions = allowedActions(p)
  if (actions.length === 0) return null
  return (
    <div class="actions">
      {open ? (
        <ActionForm
          key={open}
          action={open}
          payment={p}
          onCancel={() => setOpen(null)}
          onDone={(t) => {
            setOpen(null)
            props.onDone(t)
          }}
        />
      ) : (
        actions.map((a) => (
          <button key={a} type="button" onClick={() => setOpen(a)}>
            {a[0]!.toUpperCase() + a.slice(1)}
          </button>
        ))
      )}
    </div>
  )
}

function ActionForm(props: {
  action: Action
  payment: Payment
  onCancel: () => void
  onDone: (t: string) => void
}) {
  const { action, payment: p } = props
  const max = action === 'capture' ? BigInt(p.amountCapturable) : refundable(p)
  const [amount, setAmount] = useState(max.toString())
  const [reason, setReason] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [key] = useState(() => `console-${action}-${crypto.randomUUID()}`)
  const title = `${action[0]!.toUpperCase()}${action.slice(1)} ${p.id}`
  const submit = (e: Event) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    const path = `/v1/payments/${encodeURIComponent(p.id)}/${action === 'refund' ? 'refunds' : action}`
    const body =
      action === 'cancel'
        ? {}
        : { amount, ...(action === 'refund' && reason.trim() ? { reason: reason.trim() } : {}) }
    api<{ id: string; amount: string; status: string }>('POST', path, { idempotencyKey: key, body }).then(
      (r) =>
        props.onDone(
          action === 'refund'
            ? `Refund ${r.id} of ${money(r.amount, p.currency)}: ${r.status}.`
            : `${action === 'capture' ? 'Captured' : 'Canceled'}: the payment is ${r.status}.`,
        ),
      (err: unknown) => {
        setError(errorText(err))
        setBusy(false)
      },
    )
  }
  return (
    <form class="panel" aria-label={title} onSubmit={submit}>
      <h2>{title}</h2>
      {action === 'cancel' ? (
        <p>The authorisation is released; nothing can be captured afterwards.</p>
      ) : (
        <>
          <p>
            Up to {money(max.toString(), p.currency)} can be {action === 'capture' ? 'captured' : 'refunded'}.
          </p>
          <label>
            Amount in minor units ({p.currency})
            <input
              name="amount"
              inputMode="numeric"
              pattern="[0-9]+"
              required
              value={amount}
              autoFocus
              onInput={(e) => setAmount(e.currentTarget.value)}
            />
          </label>
        </>
      )}
      {action === 'refund' ? (
        <label>
          Reason
          <input
            name="reason"
            maxLength={500}
            value={reason}
            onInput={(e) => setReason(e.currentTarget.value)}
          />
        </label>
      ) : null}
      <button type="submit" disabled={busy}>
        Confirm {action}
      </button>
      <button type="button" onClick={props.onCancel}>
        Back
      </button>
      <ErrorNote error={error} />
    </form>
  )
}

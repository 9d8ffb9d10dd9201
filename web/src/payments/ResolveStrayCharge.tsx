import { useState } from 'preact/hooks'
import { api, errorText } from '../api'
import { ErrorNote } from '../components'
import { minorOf, money } from '../money'
import type { StrayCharge } from './types'

type Reversal = 'refunded' | 'canceled'

/**
 * Records that an operator reversed a failed stray charge by hand at its gateway. A refund needs the
 * gateway's refund id: the API books the refund, and reconciliation matches the gateway's report on it;
 * the fee the gateway kept, when the operator reads it off the gateway, is booked with it.
 * No idempotency key: the API takes none here, and a repeat finds the charge no longer failed
 * (STRAY_CHARGE_NOT_FAILED), so nothing is booked twice.
 */
export function ResolveStrayCharge(props: {
  charge: StrayCharge
  onCancel: () => void
  onDone: (resolved: StrayCharge) => void
}) {
  const s = props.charge
  // Nothing chosen at first: the operator says what they did at the gateway, not what we guess.
  const [reversal, setReversal] = useState<Reversal | ''>('')
  const [ref, setRef] = useState('')
  const [fee, setFee] = useState('')
  const [note, setNote] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const hint = `resolve-${s.id}-hint`
  const submit = (e: Event) => {
    e.preventDefault()
    if (!reversal) return
    // An amount as a person types it ("0.45"); the API takes minor units. Only a refund keeps a fee.
    const feeMinor = reversal === 'refunded' && fee.trim() ? minorOf(fee) : undefined
    if (feeMinor === null) return void setError(`Fee: write an amount such as 0.45, not "${fee.trim()}".`)
    setBusy(true)
    setError(null)
    // Trimmed, not checked here: a blank note goes as '' and the API's answer (INVALID_NOTE) is shown.
    const body = {
      reversal,
      note: note.trim(),
      ...(ref.trim() ? { reversalRef: ref.trim() } : {}),
      ...(feeMinor !== undefined ? { fee: feeMinor } : {}),
    }
    api<StrayCharge>('POST', `/v1/stray-charges/${encodeURIComponent(s.id)}/resolve`, { body }).then(
      props.onDone,
      (err: unknown) => {
        setError(errorText(err))
        setBusy(false)
      },
    )
  }
  return (
    <form class="panel" aria-label={`Mark ${s.gatewayRef} reversed by hand`} onSubmit={submit}>
      <p class="note">
        Refund or void the {money(s.amount, s.currency)} charge <code>{s.gatewayRef}</code> at {s.gateway}{' '}
        first, then record it here.
      </p>
      <label>
        Done at {s.gateway}
        <select
          name="reversal"
          required
          autoFocus
          value={reversal}
          onChange={(e) => setReversal(e.currentTarget.value as Reversal | '')}
        >
          <option value="">Choose what you did</option>
          <option value="refunded">Refunded (the capture)</option>
          <option value="canceled">Voided (the authorisation)</option>
        </select>
      </label>
      <label>
        Gateway refund or void id
        <input
          name="reversalRef"
          maxLength={255}
          required={reversal === 'refunded'}
          aria-describedby={hint}
          value={ref}
          onInput={(e) => setRef(e.currentTarget.value)}
        />
      </label>
      <p id={hint} class="hint">
        Required for a refund: reconciliation matches it with the gateway's report.
      </p>
      {reversal === 'refunded' ? (
        <label>
          Fee the gateway kept ({s.currency}, optional)
          <input
            name="fee"
            inputMode="decimal"
            maxLength={20}
            placeholder="0.00"
            value={fee}
            onInput={(e) => setFee(e.currentTarget.value)}
          />
        </label>
      ) : null}
      <label>
        Note
        <textarea
          name="note"
          rows={2}
          maxLength={500}
          required
          value={note}
          onInput={(e) => setNote(e.currentTarget.value)}
        />
      </label>
      <button type="submit" disabled={busy}>
        Mark reversed
      </button>
      <button type="button" onClick={props.onCancel}>
        Cancel
      </button>
      <ErrorNote error={error} />
    </form>
  )
}

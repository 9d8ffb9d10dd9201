import { useState } from 'preact/hooks'
import { api } from '../api'
import { ErrorNote, when } from '../components'
import { useAction } from '../useApi'
import type { CaseDetail, Proposal } from './types'

const OUTCOMES = [
  { id: 'no_issue', label: 'No issue' },
  { id: 'false_positive', label: 'False positive' },
  { id: 'true_positive', label: 'True positive' },
  { id: 'sar_filed', label: 'SAR filed' },
] as const

interface Who {
  readonly actor: string
  readonly canWrite: boolean
  readonly canApprove: boolean
}

/**
 * Working the case: take it, escalate it, close it with an outcome. Outcomes that need four eyes become
 * a proposal (202) that another operator holding cases:approve decides; the proposer is not offered the
 * decision (and the API refuses it: CASES_FOUR_EYES_SAME_OPERATOR).
 */
export function Decisions(props: { detail: CaseDetail; who: Who; onChange: () => void }) {
  const c = props.detail.case
  const base = `/v1/cases/${encodeURIComponent(c.caseId)}`
  const pending = props.detail.proposals.find((p) => p.status === 'pending')
  const action = useAction()
  const closed = c.status === 'closed'
  return (
    <section aria-labelledby="decisions-title" class="card">
      <h2 id="decisions-title">Decisions</h2>
      {props.who.canWrite && !closed ? (
        <div class="actions">
          {c.assignee !== props.who.actor ? (
            <button
              type="button"
              disabled={action.busy}
              onClick={() =>
                action.run(
                  () => api('POST', `${base}/assign`, { body: { assignee: props.who.actor } }),
                  props.onChange,
                )
              }
            >
              Assign to me
            </button>
          ) : null}
          {c.status !== 'escalated' ? (
            <button
              type="button"
              disabled={action.busy}
              onClick={() =>
                action.run(
                  () => api('POST', `${base}/status`, { body: { status: 'escalated' } }),
                  props.onChange,
                )
              }
            >
              Escalate
            </button>
          ) : null}
        </div>
      ) : null}
      <ErrorNote error={action.error} />
      {pending ? (
        <PendingProposal base={base} proposal={pending} who={props.who} onChange={props.onChange} />
      ) : props.who.canWrite && !closed ? (
        <CloseForm base={base} onChange={props.onChange} />
      ) : null}
      {closed ? (
        <p class="ok">
          Closed: {c.outcome}
          {props.detail.proposals
            .filter((p) => p.status === 'approved')
            .map((p) => ` (proposed by ${p.proposedBy}, approved by ${p.decidedBy ?? '?'})`)}
        </p>
      ) : null}
    </section>
  )
}

function PendingProposal(props: { base: string; proposal: Proposal; who: Who; onChange: () => void }) {
  const p = props.proposal
  const [note, setNote] = useState('')
  const action = useAction()
  const decide = (decision: 'approve' | 'reject') =>
    action.run(
      () =>
        api('POST', `${props.base}/approve`, {
          body: { decision, ...(note.trim() ? { note: note.trim() } : {}) },
        }),
      props.onChange,
    )
  const mayDecide = props.who.canApprove && p.proposedBy !== props.who.actor
  return (
    <div class="proposal" role="group" aria-label="Pending closing proposal">
      <p>
        <strong>Waiting for a second operator:</strong> close as <strong>{p.outcome}</strong>, proposed by{' '}
        {p.proposedBy} {when(p.proposedAt)}.
      </p>
      <p class="note">Reason: {p.reason}</p>
      <p class="note">Why four eyes: {p.whyFourEyes}</p>
      {mayDecide ? (
        <>
          <label>
            Note for the decision
            <input value={note} maxLength={2000} onInput={(e) => setNote(e.currentTarget.value)} />
          </label>
          <div class="actions">
            <button type="button" class="primary" disabled={action.busy} onClick={() => decide('approve')}>
              Approve closing
            </button>
            <button type="button" disabled={action.busy} onClick={() => decide('reject')}>
              Reject
            </button>
          </div>
        </>
      ) : (
        <p class="note">
          {p.proposedBy === props.who.actor
            ? 'You proposed it: another operator must decide.'
            : 'Your role cannot approve closings.'}
        </p>
      )}
      <ErrorNote error={action.error} />
    </div>
  )
}

function CloseForm(props: { base: string; onChange: () => void }) {
  const [outcome, setOutcome] = useState<string>('sar_filed')
  const [reason, setReason] = useState('')
  const [answer, setAnswer] = useState<string | null>(null)
  const action = useAction()
  const submit = (e: Event) => {
    e.preventDefault()
    action.run(async () => {
      const r = await api<{ status: string }>('POST', `${props.base}/close`, { body: { outcome, reason } })
      setAnswer(r.status === 'closed' ? 'Closed.' : 'Proposed: a second operator must approve.')
    }, props.onChange)
  }
  return (
    <form aria-label="Close the case" onSubmit={submit} class="stack">
      <label>
        Outcome
        <select value={outcome} onChange={(e) => setOutcome(e.currentTarget.value)}>
          {OUTCOMES.map((o) => (
            <option key={o.id} value={o.id}>
              {o.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Reason for the decision
        <textarea
          required
          rows={2}
          maxLength={10_000}
          value={reason}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
      </label>
      <button type="submit" disabled={action.busy}>
        Propose closing
      </button>
      {answer ? (
        <p role="status" class="ok">
          {answer}
        </p>
      ) : null}
      <ErrorNote error={action.error} />
    </form>
  )
}

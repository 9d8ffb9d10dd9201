import { useEffect, useRef, useState } from 'preact/hooks'
import { api, errorText } from '../api'
import type { Problem, Rule } from './types'

/** How long typing pauses before the API validates (one request per pause, not per key). */
const DEBOUNCE_MS = 250

/**
 * The rules of a rule set, each CEL condition in its own editor. As you type, the whole set goes to the
 * API's validator (POST /v1/monitoring/rule-sets/validate: the same compiler that runs the rules, so the
 * console never disagrees with the engine) and each problem is shown under its rule at line:column, with
 * a caret under the column.
 */
export function CelEditor(props: {
  rules: readonly Rule[]
  onChange: (rules: Rule[]) => void
  readOnly: boolean
}) {
  const [problems, setProblems] = useState<readonly Problem[]>([])
  const [checkError, setCheckError] = useState<string | null>(null)
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  const latest = useRef(0)

  useEffect(() => {
    clearTimeout(timer.current)
    const ticket = ++latest.current
    timer.current = setTimeout(() => {
      api<{ valid: boolean; problems: Problem[] }>('POST', '/v1/monitoring/rule-sets/validate', {
        body: { rules: props.rules },
      }).then(
        (r) => {
          // An answer to an older text is dropped: only the last keystroke's problems are shown.
          if (ticket !== latest.current) return
          setCheckError(null)
          setProblems(r.problems)
        },
        (e: unknown) => ticket === latest.current && setCheckError(errorText(e)),
      )
    }, DEBOUNCE_MS)
    return () => clearTimeout(timer.current)
  }, [props.rules])

  const set = (i: number, patch: Partial<Rule>) =>
    props.onChange(props.rules.map((r, j) => (j === i ? { ...r, ...patch } : r)))
  return (
    <div class="rules">
      {checkError ? (
        <p class="error" role="alert">
          {checkError}
        </p>
      ) : null}
      <p aria-live="polite" class={problems.length ? 'error' : 'ok'} data-testid="validation">
        {problems.length ? `${problems.length} problem(s)` : 'Valid'}
      </p>
      {props.rules.map((r, i) => {
        const mine = problems.filter((p) => p.index === i)
        return (
          <fieldset key={i} class="rule">
            <legend>Rule {r.id}</legend>
            <label>
              Condition of {r.id} (CEL)
              <textarea
                class="cel"
                spellcheck={false}
                rows={Math.max(2, r.when.split('\n').length)}
                value={r.when}
                readOnly={props.readOnly}
                aria-invalid={mine.some((p) => p.field === 'when')}
                aria-describedby={mine.length ? `problems-${i}` : undefined}
                onInput={(e) => set(i, { when: e.currentTarget.value })}
              />
            </label>
            <p class="note">
              {r.outcome}, score {r.score}: {r.reason}
            </p>
            {mine.length ? (
              <ul id={`problems-${i}`} class="problems">
                {mine.map((p, k) => (
                  <li key={k}>
                    <span class="error">
                      {p.position ? `line ${p.position.line}, column ${p.position.column}: ` : `${p.field}: `}
                      {p.message}
                    </span>
                    {p.position && p.field === 'when' ? (
                      <Caret text={r.when} line={p.position.line} column={p.position.column} />
                    ) : null}
                  </li>
                ))}
              </ul>
            ) : null}
          </fieldset>
        )
      })}
    </div>
  )
}

/** The offending line with a caret under the column (monospace, so the caret lines up). */
function Caret(props: { text: string; line: number; column: number }) {
  const line = props.text.split('\n')[props.line - 1] ?? ''
  return (
    <pre class="caret" aria-hidden="true">
      {line}
      {'\n'}
      {' '.repeat(Math.max(0, props.column - 1))}^
    </pre>
  )
}

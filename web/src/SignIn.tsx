import { useState } from 'preact/hooks'
import { api, errorText, token } from './api'
import { ErrorNote } from './components'

interface LoginResult {
  readonly token: string
  readonly mfaEnrollmentRequired: boolean
}
interface Enrolment {
  readonly secret: string
  readonly qrDataUrl: string
}

type Step =
  | { kind: 'credentials'; note?: string }
  | { kind: 'enrol'; limited: string; enrolment: Enrolment }
  | { kind: 'recovery'; codes: readonly string[] }

/**
 * Password + TOTP. A first sign-in (no second factor yet) gets a limited session that may only enrol:
 * the QR code the API renders, a code to confirm, then the ten recovery codes, shown once.
 */
export function SignIn(props: { onSignedIn: () => void }) {
  const [step, setStep] = useState<Step>({ kind: 'credentials' })
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [code, setCode] = useState('')

  const run = async (work: () => Promise<void>) => {
    setBusy(true)
    setError(null)
    try {
      await work()
    } catch (e) {
      setError(errorText(e))
    } finally {
      setBusy(false)
    }
  }

  const login = (e: Event) => {
    e.preventDefault()
    void run(async () => {
      const body = { email, password, ...(code.trim() ? { code: code.trim() } : {}) }
      const r = await api<LoginResult>('POST', '/v1/auth/login', { body, bearer: '' })
      setCode('')
      if (r.mfaEnrollmentRequired) {
        const enrolment = await api<Enrolment>('POST', '/v1/auth/mfa/enroll', { bearer: r.token })
        setStep({ kind: 'enrol', limited: r.token, enrolment })
        return
      }
      setPassword('')
      token.set(r.token)
      props.onSignedIn()
    })
  }

  const activate = (limited: string) => (e: Event) => {
    e.preventDefault()
    void run(async () => {
      const r = await api<{ recoveryCodes: string[] }>('POST', '/v1/auth/mfa/activate', {
        bearer: limited,
        body: { code: code.trim() },
      })
      setCode('')
      // The limited session has done its one job.
      await api('POST', '/v1/auth/logout', { bearer: limited }).catch(() => undefined)
      setStep({ kind: 'recovery', codes: r.recoveryCodes })
    })
  }

  return (
    <main class="signin">
      <h1>Moneta console</h1>
      {step.kind === 'credentials' ? (
        <form onSubmit={login} aria-label="Sign in">
          {step.note ? <p class="note">{step.note}</p> : null}
          <label>
            Email
            <input
              type="email"
              name="email"
              autoComplete="username"
              required
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          </label>
          <label>
            Password
            <input
              type="password"
              name="password"
              autoComplete="current-password"
              required
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </label>
          <label>
            Authenticator or recovery code
            <input
              name="code"
              autoComplete="one-time-code"
              inputMode="numeric"
              value={code}
              aria-describedby="code-hint"
              onInput={(e) => setCode(e.currentTarget.value)}
            />
          </label>
          <p id="code-hint" class="hint">
            Leave empty on your first sign-in: you will set up an authenticator.
          </p>
          <button type="submit" disabled={busy}>
            Sign in
          </button>
          <ErrorNote error={error} />
        </form>
      ) : step.kind === 'enrol' ? (
        <form onSubmit={activate(step.limited)} aria-label="Set up two-factor sign-in">
          <h2>Set up your authenticator</h2>
          <p>Scan this code with an authenticator app, then enter the six-digit code it shows.</p>
          <img
            src={step.enrolment.qrDataUrl}
            alt="QR code for your authenticator app"
            width={200}
            height={200}
          />
          <p>
            Cannot scan? Enter this key: <code data-testid="totp-secret">{step.enrolment.secret}</code>
          </p>
          <label>
            Six-digit code
            <input
              name="code"
              autoComplete="one-time-code"
              inputMode="numeric"
              pattern="[0-9]{6}"
              required
              value={code}
              onInput={(e) => setCode(e.currentTarget.value)}
            />
          </label>
          <button type="submit" disabled={busy}>
            Confirm
          </button>
          <ErrorNote error={error} />
        </form>
      ) : (
        <section aria-labelledby="recovery-title">
          <h2 id="recovery-title">Your recovery codes</h2>
          <p>Each works once if you lose your authenticator. They are shown only now: store them safely.</p>
          <ul class="codes">
            {step.codes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ul>
          <button
            type="button"
            onClick={() =>
              setStep({
                kind: 'credentials',
                note: 'Two-factor sign-in is set up. Sign in with a new code from your app.',
              })
            }
          >
            I have stored them — sign in
          </button>
        </section>
      )}
    </main>
  )
}

import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import argon2 from 'argon2'

/**
 * Argon2id cost. The default (24 MiB, 3 passes, 1 lane) is above OWASP's minimum (19 MiB, 2 passes) and
 * takes about 50–100 ms on this project's 2-core machines (docs/security.md has the measurement): slow
 * enough that an offline guess costs the same, fast enough for sign-in. Tests inject cheaper costs.
 */
export interface HashParams {
  readonly memoryKiB: number
  readonly passes: number
  readonly parallelism: number
}

export const DEFAULT_HASH_PARAMS: HashParams = { memoryKiB: 24_576, passes: 3, parallelism: 1 }

export interface PasswordHasher {
  hash(password: string): Promise<string>
  verify(hash: string, password: string): Promise<boolean>
  /** Burns the same time as a real verify: used for unknown emails so timing does not reveal them. */
  dummyVerify(password: string): Promise<void>
  /** True when a stored hash was made with other costs than the current ones (rehash on next sign-in). */
  needsRehash(hash: string): boolean
  /**
   * Waits as long as a verification takes (the median of the recent ones) without doing the work:
   * for attempts on a locked account, so a lock neither costs argon2 per attempt nor shows in timing.
   */
  pace(): Promise<void>
}

/** Median of the last verifications' durations (ms); a default until the first one is measured. */
function createDurationTracker(initialMs: number) {
  const recent: number[] = []
  return {
    add(ms: number): void {
      recent.push(ms)
      if (recent.length > 31) recent.shift()
    },
    median(): number {
      if (recent.length === 0) return initialMs
      const sorted = [...recent].sort((a, b) => a - b)
      return sorted[sorted.length >> 1]!
    },
  }
}

export function createPasswordHasher(params: HashParams = DEFAULT_HASH_PARAMS): PasswordHasher {
  const options: argon2.HashOptions = {
    type: argon2.argon2id,
    memoryCost: params.memoryKiB,
    timeCost: params.passes,
    parallelism: params.parallelism,
  }
  // Made up front, so the first unknown email does not pay for a hash on top of the verification.
  const dummy = argon2.hash('moneta-dummy-password-for-timing', options)
  void dummy.catch(() => undefined) // a failure surfaces at the first dummyVerify
  const durations = createDurationTracker(50)
  const verify = async (hash: string, password: string): Promise<boolean> => {
    const started = performance.now()
    try {
      return await argon2.verify(hash, password)
    } catch {
      return false // a malformed stored hash never signs anyone in
    } finally {
      durations.add(performance.now() - started)
    }
  }
  return {
    hash: (password) => argon2.hash(password, options),
    verify,
    async dummyVerify(password) {
      await verify(await dummy, password)
    },
    needsRehash: (hash) => argon2.needsRehash(hash, options),
    pace: () => new Promise((resolve) => setTimeout(resolve, durations.median())),
  }
}

export interface PasswordPolicy {
  readonly minLength: number
  readonly maxLength: number
  /** Reject passwords found in the bundled common-password list (data/common-passwords.txt). */
  readonly checkBreached: boolean
  /** Require at least one letter and one digit (PCI DSS v4.0.1 8.3.6: "both numeric and alphabetic"). */
  readonly requireLettersAndDigits?: boolean
}

export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = {
  minLength: 12,
  maxLength: 256,
  checkBreached: true,
  requireLettersAndDigits: true,
}

let commonPasswords: ReadonlySet<string> | undefined

/** The bundled list (30,000 most common leaked passwords; see data/README.md), loaded once. */
export function commonPasswordList(): ReadonlySet<string> {
  commonPasswords ??= new Set(
    readFileSync(new URL('./data/common-passwords.txt', import.meta.url), 'utf8')
      .split('\n')
      .filter(Boolean),
  )
  return commonPasswords
}

/**
 * Problems with a password under the policy; empty when accepted. Besides the list itself, the list
 * word with digits or symbols stuck on its end ("password123456", "sunshine2024!") and one character
 * repeated or the email's name count as breached: they are the first things a guesser tries.
 */
export function passwordProblems(password: string, policy: PasswordPolicy, email?: string): string[] {
  const problems: string[] = []
  const length = [...password].length
  if (length < policy.minLength) problems.push(`use at least ${policy.minLength} characters`)
  if (length > policy.maxLength) problems.push(`use at most ${policy.maxLength} characters`)
  if (!policy.checkBreached || problems.length > 0) return problems
  const lower = password.toLowerCase()
  const list = commonPasswordList()
  const stem = lower.replace(/[\d\W_]+$/u, '')
  const local = email?.split('@')[0]?.toLowerCase()
  if (list.has(lower) || (stem.length >= 4 && list.has(stem))) {
    problems.push('it is on the list of commonly used (breached) passwords')
  } else if (/^(.)\1*$/u.test(lower)) {
    problems.push('it is too easy to guess')
  } else if (local && local.length >= 4 && lower.includes(local)) {
    problems.push('it must not contain your email name')
  } else if (policy.requireLettersAndDigits && !(/\p{L}/u.test(password) && /\p{Nd}/u.test(password))) {
    problems.push('use both letters and digits')
  }
  return problems
}

/**
 * A random password the policy accepts, for a policy asking at least `minLength` characters (the
 * server's MONETA_PASSWORD_MIN_LENGTH): base64url of at least 18 random bytes (24 characters, 144
 * bits), longer when the minimum is. About one draw in 60 has no digit, which the policy refuses (PCI
 * DSS 8.3.6), so it draws again until the policy's own check passes: the generator never hands out a
 * password the server then rejects.
 */
export function generatePassword(minLength = DEFAULT_PASSWORD_POLICY.minLength): string {
  const policy: PasswordPolicy = { ...DEFAULT_PASSWORD_POLICY, minLength }
  const bytes = Math.max(18, Math.ceil((minLength * 3) / 4))
  for (;;) {
    const candidate = randomBytes(bytes).toString('base64url')
    if (passwordProblems(candidate, policy).length === 0) return candidate
  }
}

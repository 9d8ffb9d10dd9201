/**
 * Everything the report decides on, read from the installation (collect.ts). Plain data: the report
 * embeds no secret and no personal data, only counts, settings and identifiers of keys.
 */
export interface PciFacts {
  readonly now: string
  readonly settings: {
    readonly sessionIdleMinutes: number
    readonly sessionMaxHours: number
    readonly passwordMinLength: number
    readonly passwordRequireLettersAndDigits: boolean
    readonly lockoutThreshold: number
    readonly lockoutMinutes: number
    /** Undefined: audit entry texts are kept forever. */
    readonly auditRetentionDays: number | undefined
    readonly publicUrl: string | undefined
    readonly trustProxy: boolean | readonly string[]
    readonly nodeEnv: string | undefined
    readonly database: {
      readonly kind: 'pglite' | 'postgres'
      readonly host?: string
      readonly sslmode?: string
    }
    readonly redis: { readonly tls: boolean; readonly host: string } | undefined
    readonly configFile: string | undefined
    readonly secretsFromFile: readonly string[]
  }
  readonly masterKey: {
    readonly kekId: string
    readonly source: 'environment' | 'config-file' | 'key-file' | 'generated-file' | 'ephemeral'
    readonly file?: { readonly path: string; readonly mode: string; readonly besideData: boolean }
  }
  readonly access: {
    readonly roleGrants: Readonly<Record<string, readonly string[]>>
    readonly mfaRoles: readonly string[]
    /** Permissions that reach cardholder data (the vault and payments). */
    readonly chdPermissions: readonly string[]
    /** Roles holding one of them (computed with the same `grants` the API enforces). */
    readonly chdRoles: readonly string[]
    /** Roles that can reveal a full PAN. */
    readonly detokenizeRoles: readonly string[]
    readonly oidc: { readonly configured: boolean; readonly secondFactorRequiredFor: readonly string[] }
    /** Active operators per tenant and role; `unprotectedSessions`: live full sessions without MFA enrolled. */
    readonly operators: readonly {
      readonly tenant: string
      readonly role: string
      readonly active: number
      readonly enrolled: number
      readonly unprotectedSessions: number
    }[]
  }
  readonly vault: {
    readonly cards: number
    /** Rows whose stored PAN is not a Moneta ciphertext. */
    readonly notCiphertext: number
    /** Rows whose ciphertext column holds a digit run as long as a PAN (a PAN in clear). */
    readonly clearPan: number
    /** Rows whose displayable fields exceed BIN (8) + last four. */
    readonly overlongDisplay: number
  }
  readonly logging: {
    /** What the server's logger printed for a probe record holding a PAN, a secret and a token. */
    readonly probeOutput: string
    /** Probe values that appeared in that output. */
    readonly leaked: readonly string[]
  }
  readonly keys: {
    readonly cryptoperiodDays: number
    readonly maxUsage: string
    readonly primary:
      | {
          readonly keyId: number
          readonly ageDays: number
          readonly usage: string
          readonly usageLimit: string
        }
      | undefined
    readonly fieldKeys: number
  }
  readonly audit: {
    readonly logs: readonly {
      readonly tenant: string
      readonly ok: boolean
      readonly entries: number
      readonly checkpointsVerified: number
      readonly findings: number
      readonly firstFinding?: string
    }[]
  }
  /** Undefined: no scanner was given (then only the config file's secrets are judged). */
  readonly secretsScan:
    | {
        readonly paths: readonly string[]
        readonly findings: readonly {
          readonly path: string
          readonly line: number
          readonly ruleId: string
          readonly redacted: string
        }[]
      }
    | undefined
}

import { githubChecksum } from '../../src/modules/secrets/index.js'
import { ALPHA_NUM, BASE32, BASE64, BASE64URL, HEX, LOWER_NUM, UPPER_NUM, type Rng } from './random.js'

/**
 * Generators of credentials in their real formats (lengths, alphabets, prefixes, checksums), drawn
 * from the seeded generator at test time. Prefixes are assembled from parts so that this file does
 * not itself look like it holds keys.
 */

/** One configuration entry; `ruleId` set means a planted secret the scanner must report. */
export interface Field {
  readonly name: string
  readonly value: string
  readonly ruleId?: string
  /** Other rule ids that also count as detecting this secret. */
  readonly accept?: readonly string[]
}

/** A credential as it is configured: fields, optionally under a section named after the vendor. */
export interface Plant {
  readonly kind: string
  readonly section?: string
  readonly fields: readonly Field[]
  /** Names are kept as written in every format (environment-variable names like MONETA_MASTER_KEY). */
  readonly verbatim?: boolean
  /** Recognisable without its key name or section (fit for a bare base64-wrapped value). */
  readonly selfContained?: boolean
  /** Only these formats can hold it (e.g. a .env-file secret). */
  readonly formats?: readonly string[]
}

const p = (...parts: string[]): string => parts.join('')
const uuid = (r: Rng): string =>
  `${r.chars(HEX, 8)}-${r.chars(HEX, 4)}-4${r.chars(HEX, 3)}-${r.pick(['8', '9', 'a', 'b'])}${r.chars(HEX, 3)}-${r.chars(HEX, 12)}`

/** A PEM block with a body of random base64 of a realistic size, 64 characters a line. */
export function pem(r: Rng, label: string, bytes: number): string {
  const body = Buffer.from(Array.from({ length: bytes }, () => r.int(0, 256))).toString('base64')
  const lines = body.match(/.{1,64}/g)!
  return [`-----BEGIN ${label}-----`, ...lines, `-----END ${label}-----`].join('\n')
}

function pgpPrivateKey(r: Rng): string {
  const body = Buffer.from(Array.from({ length: 900 }, () => r.int(0, 256))).toString('base64')
  const label = p('PGP PRIVATE', ' KEY BLOCK')
  return [
    `-----BEGIN ${label}-----`,
    '',
    ...body.match(/.{1,64}/g)!,
    `=${r.chars(BASE64, 4)}`,
    `-----END ${label}-----`,
  ].join('\n')
}

function jwt(r: Rng): string {
  const enc = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url')
  const header = enc({ alg: r.pick(['HS256', 'RS256', 'ES256']), typ: 'JWT' })
  const payload = enc({
    sub: `usr_${r.chars(LOWER_NUM, 12)}`,
    iat: 1_700_000_000 + r.int(0, 50_000_000),
    exp: 1_800_000_000 + r.int(0, 50_000_000),
    scope: r.pick(['payments:write', 'read', 'admin']),
  })
  return `${header}.${payload}.${r.chars(BASE64URL, r.pick([43, 86, 342]))}`
}

function githubToken(r: Rng): string {
  const random = r.chars(ALPHA_NUM, 30)
  return `${p('gh', r.pick(['p', 'o', 'u', 's', 'r']), '_')}${random}${githubChecksum(random)}`
}

/** Mixed-case base64url, as `randomBytes().toString('base64url')` gives. */
const b64url = (r: Rng, n: number): string => {
  for (;;) {
    const s = r.chars(BASE64URL, n)
    if (/[a-z]/.test(s) && /[A-Z]/.test(s)) return s
  }
}

const KINDS: Record<string, (r: Rng) => Plant> = {
  'stripe-live': (r) => ({
    kind: 'stripe-live',
    section: 'stripe',
    selfContained: true,
    fields: [
      {
        name: 'secret_key',
        value: p('sk_', 'live_', r.chars(ALPHA_NUM, r.pick([24, 99]))),
        ruleId: 'stripe-secret-key-live',
      },
    ],
  }),
  'stripe-test': (r) => ({
    kind: 'stripe-test',
    section: 'stripe',
    selfContained: true,
    fields: [
      {
        name: 'secret_key',
        value: p('sk_', 'test_', r.chars(ALPHA_NUM, r.pick([24, 99]))),
        ruleId: 'stripe-secret-key-test',
      },
    ],
  }),
  'stripe-restricted': (r) => ({
    kind: 'stripe-restricted',
    section: 'stripe',
    selfContained: true,
    fields: [
      {
        name: 'restricted_key',
        value: p('rk_', 'live_', r.chars(ALPHA_NUM, 99)),
        ruleId: 'stripe-restricted-key-live',
      },
    ],
  }),
  'stripe-webhook': (r) => ({
    kind: 'stripe-webhook',
    section: 'stripe',
    selfContained: true,
    fields: [
      {
        name: 'webhook_secret',
        value: p('wh', 'sec_', r.chars(ALPHA_NUM, 32)),
        ruleId: 'webhook-signing-secret',
      },
    ],
  }),
  'moneta-webhook': (r) => ({
    kind: 'moneta-webhook',
    section: 'endpoint',
    selfContained: true,
    fields: [
      {
        name: 'signing_secret',
        value: p('wh', 'sec_', Buffer.from(r.chars(ALPHA_NUM, 32)).toString('base64')),
        ruleId: 'webhook-signing-secret',
      },
    ],
  }),
  'stripe-publishable': (r) => ({
    kind: 'stripe-publishable',
    section: 'stripe',
    selfContained: true,
    fields: [
      {
        name: 'publishable_key',
        value: p('pk_', 'live_', r.chars(ALPHA_NUM, 99)),
        ruleId: 'stripe-publishable-key',
      },
    ],
  }),
  'braintree-token': (r) => ({
    kind: 'braintree-token',
    section: 'braintree',
    selfContained: true,
    fields: [
      {
        name: 'access_token',
        value: p('access_', 'token$production$', r.chars(LOWER_NUM, 16), '$', r.chars(HEX, 32)),
        ruleId: 'braintree-access-token',
      },
    ],
  }),
  'braintree-merchant': (r) => ({
    kind: 'braintree-merchant',
    section: 'braintree',
    fields: [
      { name: 'merchant_id', value: r.chars(LOWER_NUM, 16) },
      { name: 'public_key', value: r.chars(LOWER_NUM, 16) },
      { name: 'private_key', value: r.chars(HEX, 32), ruleId: 'braintree-private-key' },
    ],
  }),
  plaid: (r) => ({
    kind: 'plaid',
    section: 'plaid',
    fields: [
      { name: 'client_id', value: r.chars(HEX, 24) },
      { name: 'secret', value: r.chars(HEX, 30), ruleId: 'plaid-secret' },
      { name: 'env', value: 'production' },
    ],
  }),
  'plaid-access-token': (r) => ({
    kind: 'plaid-access-token',
    section: 'plaid',
    selfContained: true,
    fields: [
      { name: 'access_token', value: p('access-', 'production-', uuid(r)), ruleId: 'plaid-access-token' },
    ],
  }),
  teller: (r) => ({
    kind: 'teller',
    section: 'teller',
    fields: [
      { name: 'application_id', value: `app_${r.chars(LOWER_NUM, 21)}` },
      { name: 'access_token', value: p('tok', 'en_', r.chars(LOWER_NUM, 26)), ruleId: 'teller-access-token' },
    ],
  }),
  'teller-identity': (r) => ({
    kind: 'teller-identity',
    section: 'teller',
    fields: [
      { name: 'certificate', value: pem(r, 'CERTIFICATE', 900), ruleId: 'teller-client-certificate' },
      { name: 'private_key', value: pem(r, p('RSA PRIVATE', ' KEY'), 1190), ruleId: 'private-key' },
    ],
  }),
  paypal: (r) => ({
    kind: 'paypal',
    section: 'paypal',
    fields: [
      { name: 'client_id', value: `A${r.chars(`${ALPHA_NUM}-_`, 79)}` },
      { name: 'client_secret', value: `E${r.chars(`${ALPHA_NUM}-_`, 79)}`, ruleId: 'paypal-client-secret' },
    ],
  }),
  'adyen-api-key': (r) => ({
    kind: 'adyen-api-key',
    section: 'adyen',
    selfContained: true,
    fields: [
      {
        name: 'api_key',
        value: p('AQ', 'E', r.chars(ALPHA_NUM, 2), r.chars(BASE64, 90), '=-', r.chars(BASE64, 43), '='),
        ruleId: 'adyen-api-key',
      },
      { name: 'merchant_account', value: `Acme${r.chars(ALPHA_NUM, 6)}ECOM` },
    ],
  }),
  'adyen-hmac': (r) => ({
    kind: 'adyen-hmac',
    section: 'adyen',
    fields: [{ name: 'hmac_key', value: r.chars('0123456789ABCDEF', 64), ruleId: 'adyen-hmac-key' }],
  }),
  'square-token': (r) => ({
    kind: 'square-token',
    section: 'square',
    selfContained: true,
    fields: [
      { name: 'access_token', value: p('EA', 'AA', r.chars(BASE64URL, 60)), ruleId: 'square-access-token' },
    ],
  }),
  'square-oauth': (r) => ({
    kind: 'square-oauth',
    section: 'square',
    selfContained: true,
    fields: [
      {
        name: 'application_secret',
        value: p('sq0', 'csp-', r.chars(BASE64URL, 43)),
        ruleId: 'square-oauth-secret',
      },
    ],
  }),
  'checkout-live': (r) => ({
    kind: 'checkout-live',
    section: 'checkout',
    fields: [{ name: 'secret_key', value: p('s', 'k_', r.chars(BASE32, 27)), ruleId: 'checkout-secret-key' }],
  }),
  'checkout-sandbox': (r) => ({
    kind: 'checkout-sandbox',
    section: 'checkout',
    selfContained: true,
    fields: [
      {
        name: 'secret_key',
        value: p('sk_', 'sbox_', r.chars(BASE32, 27)),
        ruleId: 'checkout-sandbox-secret-key',
      },
    ],
  }),
  aws: (r) => ({
    kind: 'aws',
    section: 'aws',
    fields: [
      {
        name: 'access_key_id',
        value: p('AK', 'IA', r.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)),
        ruleId: 'aws-access-key-id',
      },
      {
        name: 'secret_access_key',
        value: r.chars(BASE64, 40),
        ruleId: 'aws-secret-access-key',
        accept: ['aws-secret-access-key-paired'],
      },
    ],
  }),
  'aws-session': (r) => ({
    kind: 'aws-session',
    section: 'aws',
    fields: [
      {
        name: 'access_key_id',
        value: p('AS', 'IA', r.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)),
        ruleId: 'aws-access-key-id',
      },
      { name: 'session_token', value: `FwoGZXIvYXdzE${r.chars(BASE64, 300)}`, ruleId: 'aws-session-token' },
    ],
  }),
  'gcp-api-key': (r) => ({
    kind: 'gcp-api-key',
    section: 'google',
    selfContained: true,
    fields: [{ name: 'maps_api_key', value: p('AI', 'za', r.chars(BASE64URL, 35)), ruleId: 'gcp-api-key' }],
  }),
  'azure-storage': (r) => ({
    kind: 'azure-storage',
    section: 'azure',
    selfContained: true,
    fields: [
      {
        name: 'storage_connection_string',
        value: `DefaultEndpointsProtocol=https;AccountName=acme${r.chars(LOWER_NUM, 6)};${p('Account', 'Key=')}${r.chars(BASE64, 86)}==;EndpointSuffix=core.windows.net`,
        ruleId: 'azure-storage-account-key',
      },
    ],
  }),
  'azure-client-secret': (r) => ({
    kind: 'azure-client-secret',
    section: 'azure',
    selfContained: true,
    fields: [
      { name: 'client_id', value: uuid(r) },
      {
        name: 'client_secret',
        value: `${r.chars(ALPHA_NUM, 3)}${r.int(0, 10)}${p('Q', '~')}${r.chars(`${ALPHA_NUM}_~.-`, 34)}`,
        ruleId: 'azure-client-secret',
      },
    ],
  }),
  'azure-sas': (r) => ({
    kind: 'azure-sas',
    section: 'azure',
    selfContained: true,
    fields: [
      {
        name: 'export_url',
        value: `https://acme${r.chars(LOWER_NUM, 6)}.blob.core.windows.net/exports?sv=2022-11-02&ss=b&srt=co&sp=rl&se=2026-12-31T00:00:00Z&st=2025-01-01T00:00:00Z&spr=https&${p('si', 'g=')}${encodeURIComponent(`${r.chars(BASE64, 43)}=`)}`,
        ruleId: 'azure-sas-token',
      },
    ],
  }),
  github: (r) => ({
    kind: 'github',
    section: 'github',
    selfContained: true,
    fields: [{ name: 'token', value: githubToken(r), ruleId: 'github-token' }],
  }),
  'github-fine-grained': (r) => ({
    kind: 'github-fine-grained',
    section: 'github',
    selfContained: true,
    fields: [
      {
        name: 'token',
        value: p('github', '_pat_', r.chars(ALPHA_NUM, 22), '_', r.chars(ALPHA_NUM, 59)),
        ruleId: 'github-fine-grained-token',
      },
    ],
  }),
  gitlab: (r) => ({
    kind: 'gitlab',
    section: 'gitlab',
    selfContained: true,
    fields: [
      { name: 'token', value: p('gl', 'pat-', r.chars(`${ALPHA_NUM}_-`, 20)), ruleId: 'gitlab-token' },
    ],
  }),
  'slack-bot': (r) => ({
    kind: 'slack-bot',
    section: 'slack',
    selfContained: true,
    fields: [
      {
        name: 'bot_token',
        value: p(
          'xo',
          'xb-',
          r.chars('0123456789', 12),
          '-',
          r.chars('0123456789', 13),
          '-',
          r.chars(ALPHA_NUM, 24),
        ),
        ruleId: 'slack-token',
      },
    ],
  }),
  'slack-webhook': (r) => ({
    kind: 'slack-webhook',
    section: 'slack',
    selfContained: true,
    fields: [
      {
        name: 'alerts_webhook',
        value: `https://hooks.slack.com/services/T${r.chars(UPPER_NUM, 8)}/B${r.chars(UPPER_NUM, 10)}/${r.chars(ALPHA_NUM, 24)}`,
        ruleId: 'slack-webhook-url',
      },
    ],
  }),
  jwt: (r) => ({
    kind: 'jwt',
    section: 'auth',
    selfContained: true,
    fields: [{ name: 'service_token', value: jwt(r), ruleId: 'jwt' }],
  }),
  'private-key': (r) => ({
    kind: 'private-key',
    section: 'tls',
    selfContained: true,
    fields: [
      {
        name: 'key',
        value: r.pick([
          () => pem(r, p('RSA PRIVATE', ' KEY'), 1190),
          () => pem(r, p('EC PRIVATE', ' KEY'), 121),
          () => pem(r, p('PRIVATE', ' KEY'), 1216),
          () => pem(r, p('OPENSSH PRIVATE', ' KEY'), 1680),
          () => pgpPrivateKey(r),
        ])(),
        ruleId: 'private-key',
      },
    ],
  }),
  'database-url': (r) => ({
    kind: 'database-url',
    section: 'database',
    selfContained: true,
    fields: [
      {
        name: 'url',
        value: r.pick([
          () =>
            `postgres://payments_app:${b64url(r, r.int(16, 33))}@db-${r.chars(LOWER_NUM, 6)}.internal:5432/payments`,
          () =>
            `postgresql://ledger:${r.chars(ALPHA_NUM, 24)}@10.0.${r.int(0, 255)}.${r.int(1, 255)}/ledger?sslmode=require`,
          () => `mysql://reporting:${r.chars(ALPHA_NUM, 20)}@mysql.prod.acme.io:3306/reports`,
          () =>
            `mongodb+srv://svc:${r.chars(ALPHA_NUM, 18)}@cluster0.${r.chars(LOWER_NUM, 5)}.mongodb.net/app`,
          () => `rediss://default:${r.chars(ALPHA_NUM, 32)}@cache.${r.chars(LOWER_NUM, 6)}.cloud:6380/0`,
        ])(),
        ruleId: 'database-url-password',
      },
    ],
  }),
  dotenv: (r) => ({
    kind: 'dotenv',
    section: 'app',
    formats: ['env'],
    fields: [
      {
        name: r.pick([
          'db_password',
          'session_secret',
          'jwt_secret',
          'smtp_password',
          'encryption_key_token',
        ]),
        value: r.chars(`${ALPHA_NUM}!@%^*`, r.int(12, 33)),
        ruleId: 'dotenv-secret',
      },
    ],
  }),
  'moneta-api-key': (r) => ({
    kind: 'moneta-api-key',
    section: 'moneta',
    selfContained: true,
    fields: [{ name: 'api_key', value: p('m', 'k_', b64url(r, 32)), ruleId: 'moneta-api-key' }],
  }),
  'moneta-session': (r) => ({
    kind: 'moneta-session',
    section: 'console',
    selfContained: true,
    fields: [{ name: 'session', value: p('s', 'es_', b64url(r, 43)), ruleId: 'moneta-session-token' }],
  }),
  'moneta-master-key': (r) => ({
    kind: 'moneta-master-key',
    verbatim: true,
    fields: [
      {
        name: 'MONETA_MASTER_KEY',
        value: r.next() < 0.5 ? Buffer.from(r.chars(ALPHA_NUM, 32)).toString('base64') : r.chars(HEX, 64),
        ruleId: 'moneta-master-key',
      },
    ],
  }),
  'moneta-env-api-key': (r) => ({
    kind: 'moneta-env-api-key',
    verbatim: true,
    fields: [{ name: 'MONETA_API_KEY', value: r.chars(BASE64, 44), ruleId: 'moneta-api-key-env' }],
  }),
}

export const KIND_NAMES: readonly string[] = Object.keys(KINDS)

export function plant(kind: string, r: Rng): Plant {
  return KINDS[kind]!(r)
}

/** Credentials that are whole files: a GCP service-account key, Moneta's master.key, a PuTTY key. */
export interface WholeFile {
  readonly kind: string
  readonly path: string
  readonly content: string
  readonly line: number
  readonly ruleId: string
}

export const WHOLE_FILE_KINDS = [
  'gcp-service-account',
  'moneta-master-key-file',
  'putty-private-key',
] as const

export function wholeFile(kind: (typeof WHOLE_FILE_KINDS)[number], r: Rng): WholeFile {
  switch (kind) {
    case 'gcp-service-account': {
      const project = `acme-${r.pick(['payments', 'ledger', 'data'])}-${r.int(100, 999)}`
      const content = `${JSON.stringify(
        {
          type: 'service_account',
          project_id: project,
          private_key_id: r.chars(HEX, 40),
          private_key: `${pem(r, p('PRIVATE', ' KEY'), 1216)}\n`,
          client_email: `exporter@${project}.iam.gserviceaccount.com`,
          client_id: r.chars('0123456789', 21),
          auth_uri: 'https://accounts.google.com/o/oauth2/auth',
          token_uri: 'https://oauth2.googleapis.com/token',
        },
        null,
        2,
      )}\n`
      const line = content.split('\n').findIndex((l) => l.includes('"private_key":')) + 1
      return { kind, path: `keys/${project}.json`, content, line, ruleId: 'gcp-service-account-key' }
    }
    case 'moneta-master-key-file':
      return {
        kind,
        path: `${r.pick(['.moneta', 'data', 'backup/.moneta'])}/master.key`,
        content: `${Buffer.from(Array.from({ length: 32 }, () => r.int(0, 256))).toString('base64')}\n`,
        line: 1,
        ruleId: 'moneta-master-key-file',
      }
    case 'putty-private-key': {
      const b64 = (n: number): string =>
        Buffer.from(Array.from({ length: n }, () => r.int(0, 256))).toString('base64')
      const content = [
        'PuTTY-User-Key-File-3: ssh-ed25519',
        'Encryption: none',
        `Comment: deploy@${r.pick(['bastion', 'build'])}`,
        'Public-Lines: 2',
        ...b64(51).match(/.{1,64}/g)!,
        'Private-Lines: 1',
        b64(36),
        `Private-MAC: ${r.chars(HEX, 64)}`,
        '',
      ].join('\n')
      return {
        kind,
        path: `ops/keys/${r.pick(['deploy', 'bastion'])}.ppk`,
        content,
        line: 1,
        ruleId: 'putty-private-key',
      }
    }
  }
}

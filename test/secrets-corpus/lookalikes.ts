import { pem } from './kinds.js'
import { ALPHA_NUM, BASE32, BASE64, BASE64URL, HEX, LOWER_NUM, UPPER_NUM, type Rng } from './random.js'

/**
 * Files full of strings that look like credentials and are not (by the policy of docs/secrets.md):
 * digests, ids, placeholders, forged checksums, public keys, templates, test-mode keys in fixtures
 * and docs, encoded images. Every finding in them is a false positive.
 */
const p = (...parts: string[]): string => parts.join('')
const uuid = (r: Rng): string =>
  `${r.chars(HEX, 8)}-${r.chars(HEX, 4)}-${r.chars(HEX, 4)}-${r.chars(HEX, 4)}-${r.chars(HEX, 12)}`

/** One look-alike line (or a few) of ordinary source, config or documentation. */
const LINES: readonly ((r: Rng) => string)[] = [
  (r) => `commit ${r.chars(HEX, 40)}`,
  (r) => `    "integrity": "sha512-${r.chars(BASE64, 86)}==",`,
  (r) =>
    `    "resolved": "https://registry.npmjs.org/${r.pick(['lodash', 'pg', 'zod'])}/-/${r.pick(['lodash', 'pg', 'zod'])}-${r.int(1, 9)}.${r.int(0, 20)}.${r.int(0, 9)}.tgz",`,
  (r) => `  id: ${uuid(r)}`,
  (r) => `image: registry.acme.example/api@sha256:${r.chars(HEX, 64)}`,
  (r) => `const etag = '"${r.chars(HEX, 32)}"'`,
  (r) => `  checksum: ${r.chars(HEX, 64)}`,
  (r) => `const nonce = '${r.chars(BASE64URL, 43)}'`,
  (r) => `STRIPE_SECRET_KEY=${p('sk_', 'live_')}${'x'.repeat(r.int(24, 40))}`,
  () => `STRIPE_SECRET_KEY=${p('sk_', 'test_')}<your-test-key>`,
  () => 'api_key: "${API_KEY}"',
  () => '  password: "{{ vault_db_password }}"',
  () => `AWS_ACCESS_KEY_ID=${p('AKIA', 'IOSFODNN7', 'EXAMPLE')}`,
  () => `aws_secret_access_key = ${p('wJalrXUtnFEMI/K7MDENG/bPxRfiCY', 'EXAMPLEKEY')}`,
  (r) => `GITHUB_TOKEN=${p('gh', 'p_')}${r.chars(ALPHA_NUM, 36)}`, // checksum almost surely wrong
  (r) => {
    const enc = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url')
    return `const cursor = '${enc({ page: r.int(1, 99), sort: 'created_at' })}.${enc({ after: r.chars(LOWER_NUM, 12) })}.${r.chars(BASE64URL, 20)}'`
  },
  (r) => `ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ${r.chars(BASE64, 300)} deploy@ci`,
  (r) => `const dsn = 'postgres://app@db.internal:5432/payments_${r.int(1, 9)}'`,
  () => `DATABASE_URL=postgres://postgres:postgres@localhost:5432/moneta_dev`,
  () => 'const url = `mysql://root:${process.env.MYSQL_PASSWORD}@db/app`',
  () => `REDIS_URL=redis://:password@localhost:6379`,
  (r) => `  charge: ch_${r.chars(ALPHA_NUM, 24)}  # ${p('pay', 'ment')} id, not a key`,
  (r) => `  customer: cus_${r.chars(ALPHA_NUM, 14)}`,
  (r) => `  payment_intent: pi_${r.chars(ALPHA_NUM, 24)}`,
  (r) => `  account: acct_${r.chars(ALPHA_NUM, 16)}`,
  (r) => `  ledger_txn: txn_${r.chars(UPPER_NUM, 26)}`,
  (r) => `  channel: C${r.chars(UPPER_NUM, 10)}`,
  () => `SLACK_BOT_TOKEN=${p('xo', 'xb-')}your-bot-token`,
  (r) =>
    `function mk_${r.pick(['build', 'make', 'create'])}_${r.pick(['request', 'handler', 'context'])}_${r.chars('abcdefghijklmnopqrstuvwxyz', 12)}() {}`,
  (r) =>
    `  access_${r.pick(['token', 'key'])}: process.env.${r.pick(['PLAID', 'TELLER', 'STRIPE'])}_${r.pick(['SECRET', 'TOKEN'])}`,
  () => `password: z.string().min(12).max(128),`,
  () => `// Never log the secret key or the session token; see docs/security.md.`,
  () => `const tokenType = 'Bearer'`,
  (r) => `  "hash": "${r.chars(BASE64, 43)}=",`,
  (r) =>
    `<img src="data:image/png;base64,${Buffer.from(Array.from({ length: 120 }, () => r.int(0, 256))).toString('base64')}" alt="logo">`,
  (r) =>
    `  description: ${Buffer.from(r.pick(['Settlement report for the last business day, grouped by currency.', 'Operators review alerts in the console queue.'])).toString('base64')}`,
  (r) => `  publishable: ${p('pk_', 'sbox_')}${r.chars(BASE32, 27)}`,
  (r) => `  AKIA${r.chars('0189abcdefgh', 16)} is not a key id (wrong alphabet)`,
  (r) => `SECRET_KEY_BASE_LENGTH=${r.int(32, 128)}`,
  (r) => `  hmac_algorithm: sha256  # key id ${r.chars(HEX, 16)}`,
  (r) => `const session = await sessions.create({ ttl: ${r.int(60, 3600)} })`,
  (r) =>
    `export const ${r.pick(['TOKEN', 'SECRET', 'API_KEY'])}_HEADER = 'x-${r.pick(['api', 'moneta'])}-${r.pick(['key', 'token'])}'`,
  (r) => `  "${r.pick(['sha', 'tree', 'parent'])}": "${r.chars(HEX, 40)}",`,
  (r) =>
    `${r.chars(HEX, 8)} ${r.pick(['Fix', 'Add', 'Refactor'])} ${r.pick(['ledger rounding', 'webhook retries', 'payout limits'])}`,
  (r) =>
    `    at ${r.pick(['Object', 'Module', 'Server'])}.<anonymous> (/app/dist/${r.pick(['index', 'worker'])}.js:${r.int(1, 999)}:${r.int(1, 80)})`,
]

/** Blocks spanning several lines. */
const BLOCKS: readonly ((r: Rng) => string)[] = [
  (r) => pem(r, p('PUBLIC', ' KEY'), 294),
  (r) => pem(r, 'CERTIFICATE', 900),
  () =>
    [
      "const HEADER = '-----BEGIN RSA PRIVATE KEY-----'",
      'export function isPem(text: string): boolean {',
      '  return text.trimStart().startsWith(HEADER) && text.includes(FOOTER)',
      '}',
      "const FOOTER = '-----END RSA PRIVATE KEY-----'",
    ].join('\n'),
  () =>
    [
      'STRIPE_SECRET_KEY=',
      'STRIPE_WEBHOOK_SECRET=',
      'PLAID_CLIENT_ID=',
      'PLAID_SECRET=changeme',
      'MONETA_MASTER_KEY=<32 random bytes, base64>',
    ].join('\n'),
  (r) =>
    [
      `aws_access_key_id = ${p('AKIA', 'IOSFODNN7', 'EXAMPLE')}`,
      `aws_secret_access_key = ${p('wJalrXUtnFEMI/K7MDENG/bPxRfiCY', 'EXAMPLEKEY')}`,
      `region = ${r.pick(['eu-west-1', 'us-east-2'])}`,
    ].join('\n'),
]

/** Files where a test-mode credential is expected: fixtures and documentation. */
function contextFile(r: Rng, i: number): { path: string; content: string } {
  if (r.next() < 0.5) {
    return {
      path: `test/fixtures/stripe-${i}.json`,
      content: `${JSON.stringify({ id: `evt_${r.chars(ALPHA_NUM, 24)}`, api_key: p('sk_', 'test_', r.chars(ALPHA_NUM, 24)), publishable: p('pk_', 'test_', r.chars(ALPHA_NUM, 24)) }, null, 2)}\n`,
    }
  }
  return {
    path: `docs/payments-${i}.md`,
    content: [
      '# Stripe set-up',
      '',
      'Use a test key while developing:',
      '',
      '```sh',
      `export STRIPE_SECRET_KEY=${p('sk_', 'test_', r.chars(ALPHA_NUM, 24))}`,
      '```',
      '',
    ].join('\n'),
  }
}

export interface LookalikeFile {
  readonly path: string
  readonly content: string
}

/** About `lines` lines of look-alikes over files of 50–300 lines, with fixture/doc files mixed in. */
export function lookalikeFiles(r: Rng, lines: number): LookalikeFile[] {
  const files: LookalikeFile[] = []
  let total = 0
  const exts = ['ts', 'py', 'yml', 'json', 'md', 'log', 'txt', 'sh']
  for (let i = 0; total < lines; i++) {
    if (i % 10 === 9) {
      const f = contextFile(r, i)
      files.push(f)
      total += f.content.split('\n').length - 1
      continue
    }
    const out: string[] = []
    const n = r.int(50, 300)
    while (out.length < n) {
      if (r.next() < 0.05) out.push(...r.pick(BLOCKS)(r).split('\n'))
      else out.push(r.pick(LINES)(r))
    }
    files.push({
      path: `src/lookalike/${r.pick(['util', 'api', 'fixtures-free', 'notes'])}-${i}.${r.pick(exts)}`,
      content: `${out.join('\n')}\n`,
    })
    total += out.length
  }
  return files
}

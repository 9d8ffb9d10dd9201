import type { Rule } from '../types.js'
import { assignment, mixedCase, token } from './patterns.js'

/**
 * Moneta's own credentials (src/modules/platform `mk_` API keys, src/modules/auth `ses_` session
 * tokens, src/config.ts MONETA_MASTER_KEY / MONETA_API_KEY, src/modules/crypto master.key).
 */
export const MONETA_RULES: readonly Rule[] = [
  {
    id: 'moneta-api-key',
    title: 'Moneta API key',
    severity: 'critical',
    why: "A Moneta API key (mk_ + 24 random bytes): the tenant's API with the key's scopes (payments, ledger, vault).",
    keywords: ['mk_'],
    pattern: token('mk_[A-Za-z0-9_-]{32}', 'A-Za-z0-9_-'),
    printablePrefix: /^mk_/,
    minEntropy: 3.5,
    reject: (s) => mixedCase(s.slice(3)),
  },
  {
    id: 'moneta-session-token',
    title: 'Moneta operator session token',
    severity: 'high',
    why: "An operator's console session (ses_ + 32 random bytes): the operator's roles until it idles out or is revoked.",
    keywords: ['ses_'],
    pattern: token('ses_[A-Za-z0-9_-]{43}', 'A-Za-z0-9_-'),
    printablePrefix: /^ses_/,
    minEntropy: 3.5,
    reject: (s) => mixedCase(s.slice(4)),
  },
  {
    id: 'moneta-master-key',
    title: 'Moneta master key (MONETA_MASTER_KEY)',
    severity: 'critical',
    why: 'The key-encryption key: unwraps every data key, so it decrypts every encrypted field and the card vault.',
    keywords: ['moneta_master_key', 'monetamasterkey', 'moneta.master'],
    pattern: assignment('moneta[_.-]?master[_.-]?key', '[0-9a-f]{64}|[A-Za-z0-9+/_-]{43}=?'),
    minEntropy: 3.5,
  },
  {
    id: 'moneta-master-key-file',
    title: 'Moneta master key file (master.key)',
    severity: 'critical',
    why: 'The key-encryption key written by `moneta start` into the data directory: decrypts every encrypted field.',
    keywords: [],
    paths: /(?:^|\/)master\.key$/,
    pattern: /^(?<secret>[A-Za-z0-9+/]{43}=|[0-9a-fA-F]{64})\s*$/gm,
    minEntropy: 3.5,
  },
  {
    id: 'moneta-api-key-env',
    title: 'Moneta bootstrap API key (MONETA_API_KEY)',
    severity: 'critical',
    why: 'The platform API key from the environment: full access to the installation.',
    keywords: ['moneta_api_key', 'monetaapikey', 'moneta.api'],
    pattern: assignment('moneta[_.-]?api[_.-]?key', '[A-Za-z0-9+/=_.~-]{24,200}'),
    minEntropy: 3.5,
  },
]

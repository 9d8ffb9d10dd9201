import type { Rule } from '../types.js'
import { CLOUD_RULES } from './cloud.js'
import { CONFIG_RULES } from './config.js'
import { KEY_RULES } from './keys.js'
import { MONETA_RULES } from './moneta.js'
import { PAYMENT_RULES } from './payments.js'
import { PLATFORM_RULES } from './platforms.js'

/**
 * Every rule, most specific first: where two findings overlap, the earlier rule's is kept (a GCP
 * service-account key is reported as that, not also as a bare private key; a Stripe key in a
 * `.env` file as a Stripe key).
 */
export const RULES: readonly Rule[] = [
  ...MONETA_RULES,
  ...PAYMENT_RULES,
  ...PLATFORM_RULES,
  ...CLOUD_RULES,
  ...KEY_RULES,
  ...CONFIG_RULES,
]

export const RULE_IDS: readonly string[] = RULES.map((r) => r.id)

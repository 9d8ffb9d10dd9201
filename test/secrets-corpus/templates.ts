import type { Field, Plant } from './kinds.js'
import type { Rng } from './random.js'

/**
 * File formats the planted credentials are written in. Each renders a list of plants with some
 * ordinary configuration around them and says on which line each planted value starts.
 * `split` keeps formats apart: the tuning corpus never contains a held-out format.
 */
export interface Rendered {
  readonly path: string
  readonly content: string
  /** Planted secrets: the field, and the 1-based line its value starts on. */
  readonly planted: readonly { field: Field; line: number }[]
}

export interface Format {
  readonly name: string
  readonly split: 'dev' | 'holdout'
  render(plants: readonly Plant[], r: Rng): Rendered
}

type Case = 'snake' | 'screaming' | 'camel'
const camel = (s: string): string => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())
function keyName(plant: Plant, field: Field, style: Case, withSection: boolean): string {
  if (plant.verbatim) return field.name
  const base = withSection && plant.section ? `${plant.section}_${field.name}` : field.name
  return style === 'screaming' ? base.toUpperCase() : style === 'camel' ? camel(base) : base
}

/** Collects lines and remembers where planted values start. */
class Builder {
  readonly lines: string[] = []
  readonly planted: { field: Field; line: number }[] = []
  add(...ls: string[]): void {
    for (const l of ls) this.lines.push(...l.split('\n'))
  }
  /** Adds `text`; the planted value starts on the line holding character `valueAt` of it. */
  addValue(field: Field, text: string, valueAt: number): void {
    const line = this.lines.length + text.slice(0, valueAt).split('\n').length
    if (field.ruleId) this.planted.push({ field, line })
    this.add(text)
  }
  get content(): string {
    return `${this.lines.join('\n')}\n`
  }
}

const FILLER_KEYS = [
  'timeout_ms',
  'region',
  'log_level',
  'retries',
  'currency',
  'pool_size',
  'feature_flag',
  'base_url',
]
const fillerValue = (r: Rng, k: string): string =>
  k === 'base_url'
    ? `https://api.${r.pick(['acme', 'payco', 'ledgerly'])}.example/v${r.int(1, 4)}`
    : k === 'region'
      ? r.pick(['eu-west-1', 'us-east-1'])
      : k === 'log_level'
        ? r.pick(['info', 'debug'])
        : k === 'currency'
          ? r.pick(['EUR', 'USD', 'GBP'])
          : String(r.int(1, 5000))
const esc = (s: string): string => JSON.stringify(s)
const multiline = (v: string): boolean => v.includes('\n')

const yaml: Format = {
  name: 'yaml',
  split: 'dev',
  render(plants, r) {
    const b = new Builder()
    b.add(
      `# ${r.pick(['production', 'staging'])} settings`,
      `service: ${r.pick(['payments-api', 'ledger-worker'])}`,
    )
    for (const pl of plants) {
      const indent = pl.section && !pl.verbatim ? '  ' : ''
      if (indent) b.add(`${pl.section}:`)
      for (const f of pl.fields) {
        const k = keyName(pl, f, 'snake', false)
        if (multiline(f.value)) {
          b.add(`${indent}${k}: |`)
          const body = f.value
            .split('\n')
            .map((l) => `${indent}  ${l}`)
            .join('\n')
          b.addValue(f, body, 0)
        } else {
          const q = r.pick(['', '"', "'"])
          const text = `${indent}${k}: ${q}${f.value}${q}`
          b.addValue(f, text, text.length - f.value.length - q.length)
        }
      }
      const fk = r.pick(FILLER_KEYS)
      b.add(`${indent}${fk}: ${fillerValue(r, fk)}`)
    }
    return {
      path: `config/${r.pick(['production', 'app', 'gateways', 'secrets'])}-${r.int(0, 1e6)}.yml`,
      content: b.content,
      planted: b.planted,
    }
  },
}

const env: Format = {
  name: 'env',
  split: 'dev',
  render(plants, r) {
    const b = new Builder()
    b.add('# environment for the payments service', `NODE_ENV=production`, `PORT=${r.int(3000, 9000)}`)
    for (const pl of plants) {
      for (const f of pl.fields) {
        const k = keyName(pl, f, 'screaming', true)
        const v = multiline(f.value)
          ? `"${f.value.replace(/\n/g, '\\n')}"`
          : r.pick([f.value, `"${f.value}"`])
        const text = `${r.pick(['', 'export '])}${k}=${v}`
        b.addValue(f, text, text.indexOf('=') + 1)
      }
    }
    return {
      path: `${r.pick(['', 'services/api/', 'deploy/'])}.env${r.pick(['', '.production', '.local'])}`,
      content: b.content,
      planted: b.planted,
    }
  },
}

const python: Format = {
  name: 'python',
  split: 'dev',
  render(plants, r) {
    const b = new Builder()
    b.add(
      '"""Settings for the payouts worker."""',
      'import os',
      '',
      `DEBUG = False`,
      `ALLOWED_HOSTS = ["pay.acme.example"]`,
    )
    for (const pl of plants) {
      const dict = pl.section && !pl.verbatim && r.next() < 0.5
      if (dict) b.add(`${pl.section.toUpperCase()} = {`)
      for (const f of pl.fields) {
        const v = multiline(f.value) ? `"""${f.value}"""` : `"${f.value}"`
        const text = dict ? `    "${f.name}": ${v},` : `${keyName(pl, f, 'screaming', true)} = ${v}`
        b.addValue(f, text, text.indexOf(v) + (multiline(f.value) ? 3 : 1))
      }
      if (dict) b.add('}')
      b.add('')
    }
    return {
      path: `${r.pick(['app', 'payouts', 'billing'])}/settings_${r.int(0, 1e6)}.py`,
      content: b.content,
      planted: b.planted,
    }
  },
}

const typescript: Format = {
  name: 'typescript',
  split: 'dev',
  render(plants, r) {
    const b = new Builder()
    b.add(
      "import { createClient } from './client.js'",
      '',
      'export const config = {',
      `  region: '${r.pick(['eu', 'us'])}',`,
    )
    for (const pl of plants) {
      const nested = pl.section && !pl.verbatim
      if (nested) b.add(`  ${camel(pl.section)}: {`)
      for (const f of pl.fields) {
        const v = multiline(f.value) ? `\`${f.value}\`` : `'${f.value}'`
        const text = `${nested ? '    ' : '  '}${keyName(pl, f, 'camel', false)}: ${v},`
        b.addValue(f, text, text.indexOf(v) + 1)
      }
      if (nested) b.add('  },')
    }
    b.add('}', '', 'export const client = createClient(config)')
    return {
      path: `src/${r.pick(['config', 'gateways', 'integrations'])}/settings-${r.int(0, 1e6)}.ts`,
      content: b.content,
      planted: b.planted,
    }
  },
}

const log: Format = {
  name: 'log',
  split: 'dev',
  render(plants, r) {
    const b = new Builder()
    const ts = (): string =>
      `2025-0${r.int(1, 10)}-1${r.int(0, 10)}T0${r.int(0, 10)}:${r.int(10, 60)}:${r.int(10, 60)}.${r.int(100, 1000)}Z`
    b.add(`${ts()} INFO  starting worker pid=${r.int(100, 99999)}`)
    for (const pl of plants) {
      for (const f of pl.fields) {
        const v = f.value.replace(/\n/g, '\\n')
        const text = r.pick([
          `${ts()} DEBUG config loaded ${keyName(pl, f, 'snake', true)}=${v}`,
          `${ts()} ERROR request failed {"${keyName(pl, f, 'camel', true)}":"${v}","status":401}`,
        ])
        b.addValue(f, text, 0)
      }
      b.add(`${ts()} INFO  gateway ${pl.section ?? 'core'} ready in ${r.int(1, 900)} ms`)
    }
    return {
      path: `logs/${r.pick(['app', 'worker', 'gateway'])}-${r.int(0, 1e6)}.log`,
      content: b.content,
      planted: b.planted,
    }
  },
}

const json: Format = {
  name: 'json',
  split: 'holdout',
  render(plants, r) {
    const b = new Builder()
    b.add('{', `  "name": "${r.pick(['settlement', 'checkout'])}-service",`)
    plants.forEach((pl, i) => {
      const nested = pl.section && !pl.verbatim
      if (nested) b.add(`  "${pl.section}${i}": {`)
      pl.fields.forEach((f) => {
        const text = `${nested ? '    ' : '  '}"${keyName(pl, f, 'camel', false)}": ${esc(f.value)},`
        b.addValue(f, text, text.indexOf(': ') + 2)
      })
      b.add(`${nested ? '    ' : '  '}"enabled": true`, ...(nested ? ['  },'] : []))
    })
    b.add(`  "version": ${r.int(1, 9)}`, '}')
    return {
      path: `config/${r.pick(['providers', 'gateways'])}-${r.int(0, 1e6)}.json`,
      content: b.content,
      planted: b.planted,
    }
  },
}

/** A Jupyter notebook whose code cell sets credentials (each source line a JSON string). */
const notebook: Format = {
  name: 'notebook',
  split: 'holdout',
  render(plants, r) {
    const b = new Builder()
    b.add(
      '{',
      ' "cells": [',
      '  {',
      '   "cell_type": "markdown",',
      '   "metadata": {},',
      '   "source": ["# Reconciliation analysis\\n"]',
      '  },',
    )
    b.add(
      '  {',
      '   "cell_type": "code",',
      '   "execution_count": 1,',
      '   "metadata": {},',
      '   "outputs": [],',
      '   "source": [',
    )
    b.add('    "import pandas as pd\\n",')
    for (const pl of plants) {
      if (pl.section) b.add(`    "# ${pl.section} credentials\\n",`)
      for (const f of pl.fields) {
        const k = keyName(pl, f, 'snake', true)
        if (multiline(f.value)) {
          const [first, ...rest] = f.value.split('\n')
          const text = [
            `    ${esc(`${k} = """${first}\n`)},`,
            ...rest.map((l) => `    ${esc(`${l}\n`)},`),
          ].join('\n')
          b.addValue(f, text, 0)
          b.add(`    "\\"\\"\\"\\n",`)
        } else {
          const text = `    ${esc(`${k} = "${f.value}"\n`)},`
          b.addValue(f, text, 0)
        }
      }
    }
    b.add(
      '    "df = pd.read_csv(\\"settlements.csv\\")"',
      '   ]',
      '  }',
      ' ],',
      ' "metadata": {"kernelspec": {"name": "python3"}},',
      ' "nbformat": 4,',
      ' "nbformat_minor": 5',
      '}',
    )
    return {
      path: `notebooks/${r.pick(['recon', 'fraud', 'chargebacks'])}-${r.int(0, 1e6)}.ipynb`,
      content: b.content,
      planted: b.planted,
    }
  },
}

/** A unified diff that adds credentials (what a pre-commit hook or a review sees). */
const diff: Format = {
  name: 'diff',
  split: 'holdout',
  render(plants, r) {
    const b = new Builder()
    const file = `deploy/${r.pick(['values', 'settings'])}.yaml`
    b.add(
      `diff --git a/${file} b/${file}`,
      `index ${r.chars('0123456789abcdef', 7)}..${r.chars('0123456789abcdef', 7)} 100644`,
      `--- a/${file}`,
      `+++ b/${file}`,
      `@@ -${r.int(1, 40)},6 +${r.int(1, 40)},12 @@`,
      ' replicas: 2',
      ' image: registry.acme.example/payments:1.4.2',
    )
    for (const pl of plants) {
      if (pl.section && !pl.verbatim) b.add(`+${pl.section}:`)
      const indent = pl.section && !pl.verbatim ? '  ' : ''
      for (const f of pl.fields) {
        const k = keyName(pl, f, 'snake', false)
        if (multiline(f.value)) {
          b.add(`+${indent}${k}: |`)
          b.addValue(
            f,
            f.value
              .split('\n')
              .map((l) => `+${indent}  ${l}`)
              .join('\n'),
            0,
          )
        } else {
          const text = `+${indent}${k}: "${f.value}"`
          b.addValue(f, text, text.indexOf('"') + 1)
        }
      }
    }
    b.add(' resources:', '   limits:', '     memory: 512Mi')
    return {
      path: `patches/${r.int(0, 1e6)}-${r.pick(['add-gateway', 'rotate', 'config'])}.diff`,
      content: b.content,
      planted: b.planted,
    }
  },
}

/** A Kubernetes Secret: each value base64-encoded, or a whole settings file encoded in one entry. */
const k8sSecret: Format = {
  name: 'k8s-base64',
  split: 'holdout',
  render(plants, r) {
    const b = new Builder()
    b.add(
      'apiVersion: v1',
      'kind: Secret',
      'metadata:',
      `  name: ${r.pick(['payments', 'ledger'])}-credentials`,
      'type: Opaque',
      'data:',
    )
    const bundled: Plant[] = []
    for (const pl of plants) {
      if (!pl.selfContained) {
        bundled.push(pl)
        continue
      }
      for (const f of pl.fields) {
        const text = `  ${keyName(pl, f, 'screaming', true)}: ${Buffer.from(f.value).toString('base64')}`
        b.addValue(f, text, 0)
      }
    }
    if (bundled.length > 0) {
      const inner = yaml.render(bundled, r)
      const line = b.lines.length + 1
      b.add(`  application.yml: ${Buffer.from(inner.content).toString('base64')}`)
      for (const p of inner.planted) b.planted.push({ field: p.field, line })
    }
    return {
      path: `k8s/${r.pick(['prod', 'staging'])}/secret-${r.int(0, 1e6)}.yaml`,
      content: b.content,
      planted: b.planted,
    }
  },
}

const shell: Format = {
  name: 'shell',
  split: 'holdout',
  render(plants, r) {
    const b = new Builder()
    b.add(
      '#!/usr/bin/env bash',
      'set -euo pipefail',
      '# deploy helper: do not commit real values (they were)',
    )
    for (const pl of plants) {
      for (const f of pl.fields) {
        const text = `export ${keyName(pl, f, 'screaming', true)}="${f.value}"`
        b.addValue(f, text, text.indexOf('"') + 1)
      }
    }
    b.add(`kubectl rollout restart deploy/${r.pick(['api', 'worker'])}`)
    return {
      path: `scripts/${r.pick(['deploy', 'bootstrap'])}-${r.int(0, 1e6)}.sh`,
      content: b.content,
      planted: b.planted,
    }
  },
}

const toml: Format = {
  name: 'toml',
  split: 'holdout',
  render(plants, r) {
    const b = new Builder()
    b.add(`title = "${r.pick(['gateway', 'payouts'])} settings"`, '')
    for (const pl of plants) {
      if (pl.section && !pl.verbatim) b.add(`[${pl.section}]`)
      for (const f of pl.fields) {
        const k = keyName(pl, f, 'snake', false)
        const v = multiline(f.value) ? `"""\n${f.value}"""` : `"${f.value}"`
        const text = `${k} = ${v}`
        b.addValue(f, text, text.indexOf(v) + (multiline(f.value) ? 4 : 1))
      }
      b.add('')
    }
    return {
      path: `config/${r.pick(['app', 'providers'])}-${r.int(0, 1e6)}.toml`,
      content: b.content,
      planted: b.planted,
    }
  },
}

export const FORMATS: readonly Format[] = [
  yaml,
  env,
  python,
  typescript,
  log,
  json,
  notebook,
  diff,
  k8sSecret,
  shell,
  toml,
]

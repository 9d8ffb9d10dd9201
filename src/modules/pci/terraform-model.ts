import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from '@cdktn/hcl2json'

/**
 * A Terraform module as data, for policy checks: every `.tf` file of one folder parsed by HashiCorp's
 * own HCL parser (compiled to WebAssembly in @cdktn/hcl2json, so it runs offline and refuses invalid
 * syntax exactly as Terraform would), merged, with just enough evaluation to follow the references a
 * reviewer follows by eye: `var.x` to its default, `local.x` to its value, `each.value` to the
 * `for_each` set, and `var.x + N`. Anything cleverer stays an opaque expression string, and a check
 * that meets one fails closed (it cannot prove the control).
 */

/** One block's attributes as hcl2json gives them: nested blocks are arrays of objects. */
export type TfBlock = Readonly<Record<string, unknown>>

export interface TfModel {
  /** `type.name` → the resource's attributes. */
  readonly resources: ReadonlyMap<string, TfBlock>
  readonly modules: ReadonlyMap<string, TfBlock>
  readonly variables: ReadonlyMap<string, TfBlock>
  readonly locals: Readonly<Record<string, unknown>>
  /** Files parsed, by name. */
  readonly files: readonly string[]
}

interface ParsedFile {
  resource?: Record<string, Record<string, TfBlock[]>>
  module?: Record<string, TfBlock[]>
  variable?: Record<string, TfBlock[]>
  locals?: Record<string, unknown>[]
}

const parsed = new Map<string, ParsedFile>()

/** Parses one file's text; the same text is parsed once per process (the parser is slow to start). */
async function parseFile(name: string, text: string): Promise<ParsedFile> {
  const key = `${name}\u0000${text}`
  const hit = parsed.get(key)
  if (hit) return hit
  const out = (await parse(name, text)) as ParsedFile
  parsed.set(key, out)
  return out
}

/** Builds the model from file texts (name → HCL). Invalid HCL rejects with the parser's message. */
export async function modelFromTexts(files: ReadonlyMap<string, string>): Promise<TfModel> {
  const resources = new Map<string, TfBlock>()
  const modules = new Map<string, TfBlock>()
  const variables = new Map<string, TfBlock>()
  const locals: Record<string, unknown> = {}
  for (const [name, text] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    const f = await parseFile(name, text)
    for (const [type, byName] of Object.entries(f.resource ?? {}))
      for (const [n, blocks] of Object.entries(byName)) resources.set(`${type}.${n}`, blocks[0] ?? {})
    for (const [n, blocks] of Object.entries(f.module ?? {})) modules.set(n, blocks[0] ?? {})
    for (const [n, blocks] of Object.entries(f.variable ?? {})) variables.set(n, blocks[0] ?? {})
    for (const block of f.locals ?? []) Object.assign(locals, block)
  }
  return { resources, modules, variables, locals, files: [...files.keys()].sort() }
}

/** Reads every `*.tf` file directly in `dir` (not sub-folders: examples are root modules of their own). */
export async function loadTerraform(dir: string): Promise<TfModel> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.tf'))
  const files = new Map<string, string>()
  for (const n of names) files.set(n, await readFile(join(dir, n), 'utf8'))
  if (files.size === 0) throw new Error(`${dir} holds no .tf file`)
  return modelFromTexts(files)
}

const WHOLE_EXPR = /^\$\{([\s\S]*)\}$/

/**
 * The value a reviewer would read: literals as they are; `${var.x}` → its default; `${local.x}` → its
 * value; `${var.x + N}` → the sum; `${each.value}` → the `forEach` value given. Otherwise the
 * expression string itself (opaque).
 */
export function resolve(model: TfModel, value: unknown, forEach?: unknown, depth = 0): unknown {
  if (typeof value !== 'string' || depth > 8) return value
  const m = WHOLE_EXPR.exec(value)
  if (!m) return value
  const expr = m[1]!.trim()
  let r: RegExpExecArray | null
  if ((r = /^var\.(\w+)$/.exec(expr))) {
    const v = model.variables.get(r[1]!)
    return v && 'default' in v ? resolve(model, v.default, undefined, depth + 1) : value
  }
  if ((r = /^local\.(\w+)$/.exec(expr)))
    return r[1]! in model.locals ? resolve(model, model.locals[r[1]!], undefined, depth + 1) : value
  if ((r = /^(var\.\w+|local\.\w+)\s*\+\s*(\d+)$/.exec(expr))) {
    const base = resolve(model, `\${${r[1]}}`, undefined, depth + 1)
    return typeof base === 'number' ? base + Number(r[2]) : value
  }
  if (expr === 'each.value' || expr === 'each.key') return forEach === undefined ? value : forEach
  if ((r = /^toset\((.+)\)$/.exec(expr))) return resolve(model, `\${${r[1]}}`, undefined, depth + 1)
  return value
}

/** The first nested block named `name` (hcl2json gives blocks as arrays), or undefined. */
export function block(b: TfBlock | undefined, name: string): TfBlock | undefined {
  const v = b?.[name]
  return Array.isArray(v) && v[0] && typeof v[0] === 'object' ? (v[0] as TfBlock) : undefined
}

/** Every nested block named `name`. */
export function blocks(b: TfBlock | undefined, name: string): TfBlock[] {
  const v = b?.[name]
  return Array.isArray(v) ? v.filter((x): x is TfBlock => !!x && typeof x === 'object') : []
}

/** Resources of one type, as [name, attributes]. */
export function resourcesOf(model: TfModel, type: string): [string, TfBlock][] {
  return [...model.resources]
    .filter(([k]) => k.startsWith(`${type}.`))
    .map(([k, v]) => [k.slice(type.length + 1), v])
}

/** Resource addresses (`type.name`) an expression refers to. */
export function references(value: unknown): string[] {
  if (typeof value !== 'string') return []
  return [...value.matchAll(/\b(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)/g)].map((m) => `${m[1]}.${m[2]}`)
}

/** True when the expression refers to a resource of `type` declared in the model. */
export function refersTo(model: TfModel, value: unknown, type: string): boolean {
  return references(value).some((r) => r.startsWith(`${type}.`) && model.resources.has(r))
}

/** Collects every string inside a value (for scanning literal maps and lists). */
export function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap(stringsIn)
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsIn)
  return []
}

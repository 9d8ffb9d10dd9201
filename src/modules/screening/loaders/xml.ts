import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { ListFormatError } from '../screening.errors.js'

export type XmlNode = Record<string, unknown>

/** Validates (naming the line and column at fault) and parses; attributes under "@_", text under "#text". */
export function parseXml(text: string, file: string, arrays: ReadonlySet<string>): XmlNode {
  // No official list declares entities; refusing them rules out entity-expansion bombs.
  const doctype = /<!DOCTYPE[^>[]*\[[^\]]*<!ENTITY/i.exec(text)
  if (doctype) {
    const line = text.slice(0, doctype.index).split('\n').length
    throw new ListFormatError(file, `line ${line}`, 'DOCTYPE entity declarations are not accepted')
  }
  const v = XMLValidator.validate(text)
  if (v !== true) throw new ListFormatError(file, `line ${v.err.line}, column ${v.err.col}`, v.err.msg)
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    removeNSPrefix: true,
    isArray: (name) => arrays.has(name),
  })
  return parser.parse(text) as XmlNode
}

export const asArray = (v: unknown): XmlNode[] =>
  v === undefined || v === null || v === '' ? [] : Array.isArray(v) ? (v as XmlNode[]) : [v as XmlNode]

/** Text content of a leaf element, or undefined when empty. */
export function text(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v === 'string') return v.trim() || undefined
  if (typeof v === 'number') return String(v)
  if (typeof v === 'object' && '#text' in v) return text((v as XmlNode)['#text'])
  return undefined
}

export const attr = (node: XmlNode | undefined, name: string): string | undefined =>
  node ? text(node[`@_${name}`]) : undefined

export function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  const v = node?.[name]
  return v && typeof v === 'object' ? (Array.isArray(v) ? (v[0] as XmlNode) : (v as XmlNode)) : undefined
}

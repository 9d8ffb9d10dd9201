import type { ParsedList } from '../screening.js'
import { ListFormatError } from '../screening.errors.js'
export function parseEuXml(_xml: string, file = 'eu.xml'): ParsedList {
  throw new ListFormatError(file, 'root element', 'not implemented yet')
}

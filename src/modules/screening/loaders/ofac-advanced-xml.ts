import type { ParsedList } from '../screening.js'
import { ListFormatError } from '../screening.errors.js'
export function parseOfacAdvancedXml(_xml: string, file = 'sdn_advanced.xml'): ParsedList {
  throw new ListFormatError(file, 'root element', 'not implemented yet')
}

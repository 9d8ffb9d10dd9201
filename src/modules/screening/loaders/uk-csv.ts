import type { ParsedList } from '../screening.js'
import { ListFormatError } from '../screening.errors.js'
export function parseUkCsv(_xml: string, file = 'uk.csv'): ParsedList {
  throw new ListFormatError(file, 'root element', 'not implemented yet')
}

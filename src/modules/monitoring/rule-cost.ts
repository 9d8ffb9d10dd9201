import { MATCH_INPUT_MAX } from './cel-regex.js'

/**
 * A static upper bound on the work one evaluation of a rule can do, so that a tenant cannot save
 * an expression that runs for minutes: CEL has no loops, but comprehensions (all, exists,
 * exists_one, map, filter) nest, and `[0, …, 999].all(a, [0, …, 999].all(b, …))` is 10⁶ steps per
 * level. Cost = AST nodes, with each comprehension body counted once per element of the range it
 * iterates: a list literal's length, or for any other range the most it can hold (a string split
 * or a list built from the transaction, bounded by the input cap).
 */

export const RULE_COST_MAX = 100_000

const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'map', 'filter'])

interface Node {
  op: string
  args: unknown
}
const isNode = (x: unknown): x is Node => typeof x === 'object' && x !== null && 'op' in x && 'args' in x

function childrenCost(args: unknown): number {
  if (Array.isArray(args)) return args.reduce((s: number, a) => s + childrenCost(a), 0)
  return isNode(args) ? cost(args) : 0
}

/** Largest number of elements `range` can produce. */
function rangeSize(range: unknown): number {
  if (isNode(range) && range.op === 'list' && Array.isArray(range.args)) return range.args.length
  if (isNode(range) && range.op === 'map' && Array.isArray(range.args)) return range.args.length
  return MATCH_INPUT_MAX
}

function cost(node: Node): number {
  if (node.op === 'rcall' && Array.isArray(node.args) && COMPREHENSIONS.has(node.args[0] as string)) {
    const [, range, body] = node.args as [string, unknown, unknown]
    return 1 + childrenCost(range) + rangeSize(range) * Math.max(1, childrenCost(body))
  }
  return 1 + childrenCost(node.args)
}

/** The bound for a parsed expression (saturates rather than overflowing). */
export function ruleCost(ast: unknown): number {
  return isNode(ast) ? Math.min(cost(ast), Number.MAX_SAFE_INTEGER) : 0
}

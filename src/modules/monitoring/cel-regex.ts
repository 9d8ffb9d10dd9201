import { RE2JS } from 're2js'

/**
 * CEL's `string.matches(pattern)` with RE2 semantics, as the CEL specification says, instead of
 * cel-js's backtracking `new RegExp(pattern).test(s)`: a tenant's `txn.src.matches('^(a+)+$')`
 * once held the event loop (every tenant's requests) for 36 s. re2js is a pure-JavaScript port of
 * RE2: matching time is linear in the input, whatever the pattern.
 *
 * cel-js will not let us replace its built-in overload, so a rule's source is rewritten before it
 * is compiled for evaluation: every `X.matches(Y)` becomes `re2_matches(X, Y)` (see rewriteMatches).
 * Type checking and error positions still use the source the tenant wrote.
 */

/** Longest input `matches` looks at; longer inputs are an evaluation error (the rule does not fire). */
export const MATCH_INPUT_MAX = 4096
/** Longest pattern accepted. */
export const MATCH_PATTERN_MAX = 512
export const RE2_FUNCTION = 're2_matches'

const cache = new Map<string, RE2JS>()
const CACHE_MAX = 256

/** Compiles a pattern with RE2 (cached); throws an Error whose message says what is wrong. */
export function compileRe2(pattern: string): RE2JS {
  let re = cache.get(pattern)
  if (re) return re
  if (pattern.length > MATCH_PATTERN_MAX) {
    throw new Error(`a regular expression may be at most ${MATCH_PATTERN_MAX} characters.`)
  }
  try {
    re = RE2JS.compile(pattern)
  } catch (e) {
    throw new Error(`invalid regular expression (RE2 syntax): ${(e as Error).message}`)
  }
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!)
  cache.set(pattern, re)
  return re
}

/** True when `pattern` matches any part of `input` (CEL `matches`, RE2 semantics). */
export function re2Matches(input: string, pattern: string): boolean {
  if (input.length > MATCH_INPUT_MAX) {
    throw new Error(`matches() input longer than ${MATCH_INPUT_MAX} characters.`)
  }
  return compileRe2(pattern).test(input)
}

interface Node {
  op: string
  args: unknown
  start?: number
  end?: number
}
const isNode = (x: unknown): x is Node => typeof x === 'object' && x !== null && 'op' in x && 'args' in x

function collect(node: unknown, out: Node[]): void {
  if (Array.isArray(node)) {
    for (const c of node) collect(c, out)
    return
  }
  if (!isNode(node)) return
  if (node.op === 'rcall' && Array.isArray(node.args) && node.args[0] === 'matches') out.push(node)
  collect(node.args, out)
}

/** The `X.matches(Y)` calls of a parsed expression, with their source ranges. */
export function matchesCalls(ast: unknown): { node: Node; receiver: Node; pattern: Node }[] {
  const found: Node[] = []
  collect(ast, found)
  return found.flatMap((node) => {
    const [, receiver, args] = node.args as [string, unknown, unknown[]]
    const pattern = args[0]
    return isNode(receiver) && isNode(pattern) && args.length === 1 ? [{ node, receiver, pattern }] : []
  })
}

/**
 * The source with every `X.matches(Y)` replaced by `re2_matches((X), (Y))`, nested calls included;
 * undefined when the expression has none. Uses the parser's source ranges, so nothing else changes.
 */
export function rewriteMatches(src: string, ast: unknown): string | undefined {
  const calls = matchesCalls(ast)
  if (calls.length === 0) return undefined
  const ranged = (n: Node): n is Node & { start: number; end: number } =>
    typeof n.start === 'number' && typeof n.end === 'number'
  const render = (start: number, end: number): string => {
    let out = ''
    let at = start
    // outermost calls inside [start, end), in source order
    const inside = calls
      .filter((c) => ranged(c.node) && c.node.start >= start && c.node.end <= end)
      .filter(
        (c, _, all) =>
          !all.some((o) => o !== c && o.node.start! <= c.node.start! && o.node.end! >= c.node.end!),
      )
      .sort((a, b) => a.node.start! - b.node.start!)
    for (const c of inside) {
      if (!ranged(c.receiver) || !ranged(c.pattern)) throw new Error('matches() without source ranges')
      out += src.slice(at, c.node.start)
      out += `${RE2_FUNCTION}((${render(c.receiver.start, c.receiver.end)}), (${render(c.pattern.start, c.pattern.end)}))`
      at = c.node.end!
    }
    return out + src.slice(at, end)
  }
  return render(0, src.length)
}

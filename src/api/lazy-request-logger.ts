import type { FastifyBaseLogger } from 'fastify'

type Bindings = Record<string, unknown>
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1]
/** pino's call shapes: (obj, msg?, ...values) or (msg, ...values). */
type LogArgs = [obj: unknown, msg?: string, ...values: unknown[]]
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

/**
 * A request's logger (`req.log`) whose pino child is made on its first use. Fastify makes one child
 * per request to bind the request id; pino's `child()` copies bindings, serializers and level
 * methods, which showed as ~3 % of the webhook intake's CPU (issue #18, session 14) while almost no
 * request ever logs (request logging is off; only errors and refusals write a line). A line that
 * is written carries the same bindings (`reqId`) as before.
 */
export class LazyRequestLogger implements FastifyBaseLogger {
  #real: FastifyBaseLogger | undefined

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  private get real(): FastifyBaseLogger {
    return (this.#real ??= this.parent.child(this.bindings, this.options))
  }

  get level(): string {
    return this.#real?.level ?? this.options?.level ?? this.parent.level
  }
  set level(level: string) {
    this.real.level = level
  }

  // Methods on the prototype, not arrow fields: nothing allocated per request but this object.
  fatal(...args: LogArgs): void {
    this.write('fatal', args)
  }
  error(...args: LogArgs): void {
    this.write('error', args)
  }
  warn(...args: LogArgs): void {
    this.write('warn', args)
  }
  info(...args: LogArgs): void {
    this.write('info', args)
  }
  debug(...args: LogArgs): void {
    this.write('debug', args)
  }
  trace(...args: LogArgs): void {
    this.write('trace', args)
  }
  silent(...args: LogArgs): void {
    this.write('silent', args)
  }

  private write(level: Level, args: LogArgs): void {
    this.real[level](...args)
  }

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.real.child(bindings, options)
  }
}

/** Fastify's `childLoggerFactory`: the request's child logger, made when first used. */
export function lazyChildLogger(
  parent: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildOptions,
): FastifyBaseLogger {
  return new LazyRequestLogger(parent, bindings, options)
}

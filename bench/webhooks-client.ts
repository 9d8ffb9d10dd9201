import net from 'node:net'

/**
 * The webhooks bench's load generator: keep-alive HTTP/1.1 over plain sockets, one request in flight
 * per connection (as a gateway's senders; no pipelining). Each request's bytes (request line, signed
 * headers, body) are built once before the run, so sending one is a single socket write and reading
 * its answer a scan for the status line and Content-Length. Node's http.Agent cost the bench process
 * ≈ 190 µs of CPU per delivery (session 11), on the same 2 cores as the server and PostgreSQL it
 * measures; this costs a fraction of that. Requests wait in the generator's queue while every
 * connection is busy — that wait counts in their latency (the open loop times from the schedule).
 */
export interface Answer {
  readonly status: number
  readonly body: string
}

/** One request's bytes, ready to write. */
export function rawRequest(
  port: number,
  path: string,
  headers: Readonly<Record<string, string>>,
  body: string,
): Buffer {
  const bodyBytes = Buffer.from(body)
  let head = `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nconnection: keep-alive\r\n`
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== 'content-length') head += `${k}: ${v}\r\n`
  }
  head += `content-length: ${bodyBytes.length}\r\n\r\n`
  return Buffer.concat([Buffer.from(head), bodyBytes])
}

interface Waiting {
  readonly bytes: Buffer
  resolve(a: Answer): void
  reject(err: unknown): void
}

class Connection {
  #socket: net.Socket
  #buf: Buffer = Buffer.alloc(0)
  #current: Waiting | undefined

  constructor(
    port: number,
    private readonly onIdle: (c: Connection) => void,
  ) {
    this.#socket = net.connect({ port, host: '127.0.0.1', noDelay: true })
    this.#socket.on('data', (chunk: Buffer) => this.#read(chunk))
    this.#socket.on('error', (err) => this.#fail(err))
    this.#socket.on('close', () => this.#fail(new Error('connection closed')))
  }

  send(w: Waiting): void {
    this.#current = w
    this.#socket.write(w.bytes)
  }

  close(): void {
    this.#socket.destroy()
  }

  #fail(err: unknown): void {
    const w = this.#current
    this.#current = undefined
    w?.reject(err)
  }

  /** One answer at a time: status line, headers up to the blank line, then Content-Length bytes. */
  #read(chunk: Buffer): void {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk])
    const end = this.#buf.indexOf('\r\n\r\n')
    if (end < 0) return
    const head = this.#buf.toString('latin1', 0, end)
    const m = /\r\ncontent-length: *(\d+)/i.exec(head)
    if (!m) return this.#fail(new Error(`answer without Content-Length: ${head.slice(0, 200)}`))
    const total = end + 4 + Number(m[1])
    if (this.#buf.length < total) return
    const status = Number(head.slice(9, 12))
    const body = this.#buf.toString('utf8', end + 4, total)
    this.#buf = this.#buf.subarray(total)
    const w = this.#current
    this.#current = undefined
    w?.resolve({ status, body })
    this.onIdle(this)
  }
}

/** Up to `connections` keep-alive connections; requests beyond those wait in a FIFO queue. */
export class RawClient {
  readonly #idle: Connection[] = []
  readonly #all: Connection[] = []
  #queue: Waiting[] = []
  #head = 0

  constructor(port: number, connections: number) {
    const onIdle = (c: Connection) => {
      const next = this.#queue[this.#head]
      if (next) {
        this.#queue[this.#head++] = undefined as unknown as Waiting
        if (this.#head > 4096 && this.#head * 2 > this.#queue.length) {
          this.#queue = this.#queue.slice(this.#head)
          this.#head = 0
        }
        c.send(next)
      } else this.#idle.push(c)
    }
    for (let i = 0; i < connections; i++) {
      const c = new Connection(port, onIdle)
      this.#all.push(c)
      this.#idle.push(c)
    }
  }

  /** Requests waiting for a free connection. */
  get queued(): number {
    return this.#queue.length - this.#head
  }

  request(bytes: Buffer): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      const w = { bytes, resolve, reject }
      const c = this.#idle.pop()
      if (c) c.send(w)
      else this.#queue.push(w)
    })
  }

  close(): void {
    for (const c of this.#all) c.close()
  }
}

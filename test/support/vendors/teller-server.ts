/**
 * A local server that speaks Teller's API over HTTPS with mutual TLS: it requires a client
 * certificate signed by the test CA (requestCert + rejectUnauthorized), and the enrollment access
 * token as the HTTP Basic user name. Endpoints: GET /accounts, /accounts/:id, /accounts/:id/details,
 * /accounts/:id/balances, /accounts/:id/transactions (count, from_id), /identity,
 * DELETE /accounts/:id. Errors as {"error": {"code", "message"}} with Teller's statuses.
 * `signedWebhook` makes a Teller-Signature header (t=…,v1=HMAC-SHA256("t.body")).
 */
import { createHmac, randomUUID } from 'node:crypto'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { TestPki } from './tls-certs.js'

type Json = Record<string, unknown>

export interface TellerAccountState {
  id: string
  name: string
  last_four: string
  subtype: 'checking' | 'savings'
  status: 'open' | 'closed'
  routing: string
  account_number: string
  available: string
  ledger: string
  owners: string[]
  transactions: Json[]
}

export interface TellerEnrollmentState {
  enrollment_id: string
  access_token: string
  institution: { id: string; name: string }
  accounts: TellerAccountState[]
  /** e.g. 'enrollment.disconnected.user_action.mfa_required' */
  disconnected: string | null
  removed: Set<string>
}

export interface TellerServer {
  readonly url: string
  readonly signingSecret: string
  readonly requests: { method: string; path: string; clientCn: string | null }[]
  enroll(opts?: { owners?: string[]; transactions?: number }): TellerEnrollmentState
  signedWebhook(
    body: Json,
    opts?: { secret?: string; ageSeconds?: number },
  ): { body: string; headers: Record<string, string> }
  close(): Promise<void>
}

class TellerHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export async function startTellerServer(pki: TestPki): Promise<TellerServer> {
  const enrollments = new Map<string, TellerEnrollmentState>()
  const requests: { method: string; path: string; clientCn: string | null }[] = []
  const signingSecret = `teller-secret-${randomUUID()}`
  let seq = 0

  const txn = (acct: TellerAccountState, i: number): Json => ({
    id: `txn_${acct.id}_${i}`,
    account_id: acct.id,
    amount: i % 4 === 0 ? `${10 + i}.25` : `-${(i * 37) % 500}.${String(i % 100).padStart(2, '0')}`,
    date: `2026-02-${String(1 + (i % 28)).padStart(2, '0')}`,
    description: `Teller merchant ${i}`,
    status: i % 9 === 0 ? 'pending' : 'posted',
    type: 'card_payment',
    running_balance: null,
    details: {
      processing_status: 'complete',
      category: 'shopping',
      counterparty: { name: `Shop ${i}`, type: 'organization' },
    },
    links: { self: '', account: '' },
  })

  function accountJson(e: TellerEnrollmentState, a: TellerAccountState): Json {
    return {
      id: a.id,
      enrollment_id: e.enrollment_id,
      institution: e.institution,
      last_four: a.last_four,
      name: a.name,
      type: 'depository',
      subtype: a.subtype,
      currency: 'USD',
      status: a.status,
      links: {},
    }
  }

  function auth(header: string | undefined): TellerEnrollmentState {
    const m = /^Basic (.+)$/.exec(header ?? '')
    const token = m ? Buffer.from(m[1]!, 'base64').toString('utf8').split(':')[0] : undefined
    const e = token ? [...enrollments.values()].find((x) => x.access_token === token) : undefined
    if (!e) throw new TellerHttpError(401, 'unauthorized', 'The access token is missing or invalid.')
    if (e.disconnected) throw new TellerHttpError(404, e.disconnected, 'The enrollment is disconnected.')
    return e
  }

  function route(method: string, path: string, query: URLSearchParams, e: TellerEnrollmentState): unknown {
    const live = e.accounts.filter((a) => !e.removed.has(a.id))
    if (method === 'GET' && path === '/accounts') return live.map((a) => accountJson(e, a))
    if (method === 'GET' && path === '/identity') {
      return live.map((a) => ({
        account: accountJson(e, a),
        owners: [{ type: 'person', names: a.owners.map((n) => ({ type: 'name', data: n })) }],
      }))
    }
    const m = /^\/accounts\/([^/]+)(?:\/(details|balances|transactions))?$/.exec(path)
    const acct = m ? live.find((a) => a.id === m[1]) : undefined
    if (!m || !acct) throw new TellerHttpError(404, 'not_found', `No such resource ${path}.`)
    if (method === 'DELETE' && !m[2]) {
      e.removed.add(acct.id)
      return null
    }
    if (method !== 'GET') throw new TellerHttpError(405, 'method_not_allowed', method)
    switch (m[2]) {
      case undefined:
        return accountJson(e, acct)
      case 'details':
        return {
          account_id: acct.id,
          account_number: acct.account_number,
          routing_numbers: { ach: acct.routing },
        }
      case 'balances':
        return { account_id: acct.id, available: acct.available, ledger: acct.ledger, links: {} }
      default: {
        const count = Number(query.get('count') ?? '100')
        const fromId = query.get('from_id')
        // Newest first; from_id pages to older transactions, after (and excluding) that id.
        const start = fromId ? acct.transactions.findIndex((t) => t.id === fromId) + 1 : 0
        return acct.transactions.slice(start, start + count)
      }
    }
  }

  const server: Server = createServer(
    { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://localhost')
      const peer = (req.socket as TLSSocket).getPeerCertificate()
      requests.push({
        method: req.method ?? '',
        path: url.pathname,
        clientCn: (peer.subject?.CN as string | undefined) ?? null,
      })
      try {
        const e = auth(req.headers.authorization)
        const body = route(req.method ?? 'GET', url.pathname, url.searchParams, e)
        if (body === null) {
          res.writeHead(204).end()
          return
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
      } catch (err) {
        const e = err instanceof TellerHttpError ? err : new TellerHttpError(500, 'internal', String(err))
        res
          .writeHead(e.status, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { code: e.code, message: e.message } }))
      }
    },
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url,
    signingSecret,
    requests,
    enroll(opts = {}) {
      const n = ++seq
      const enrollmentId = `enr_${n}${randomUUID().slice(0, 6)}`
      const owners = opts.owners ?? ['Maria Gonzalez']
      const mk = (suffix: string, subtype: 'checking' | 'savings', four: string): TellerAccountState => ({
        id: `acc_${enrollmentId}_${suffix}`,
        name: `Teller ${subtype}`,
        last_four: four,
        subtype,
        status: 'open',
        routing: '091000019',
        account_number: `98765432${four}`,
        available: '250.00',
        ledger: '260.00',
        owners,
        transactions: [],
      })
      const accounts = [mk('chk', 'checking', '4321'), mk('sav', 'savings', '8765')]
      for (const a of accounts)
        a.transactions = Array.from({ length: opts.transactions ?? 0 }, (_, i) => txn(a, i))
      const state: TellerEnrollmentState = {
        enrollment_id: enrollmentId,
        access_token: `token_${randomUUID().replace(/-/g, '')}`,
        institution: { id: 'wells_fargo', name: 'Wells Fargo' },
        accounts,
        disconnected: null,
        removed: new Set(),
      }
      enrollments.set(enrollmentId, state)
      return state
    },
    signedWebhook(body, opts = {}) {
      const text = JSON.stringify(body)
      const t = Math.floor(Date.now() / 1000) - (opts.ageSeconds ?? 0)
      const sig = createHmac('sha256', opts.secret ?? signingSecret)
        .update(`${t}.${text}`)
        .digest('hex')
      return {
        body: text,
        headers: { 'content-type': 'application/json', 'teller-signature': `t=${t},v1=${sig}` },
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

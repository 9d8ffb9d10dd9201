import { parentPort, workerData } from 'node:worker_threads'
import { startPlaidServer } from '../test/support/vendors/plaid-server.js'

/**
 * The Plaid-protocol server of `npm run bench -- banksync`, in a worker thread: in production Plaid
 * is another machine, so its work should not share the event loop of the code being measured.
 */
const { txns } = workerData as { txns: number }
const server = await startPlaidServer({ recordRequests: false })
const { publicToken } = server.createPublicToken({ transactions: txns })
parentPort!.postMessage({ url: server.url, clientId: server.clientId, secret: server.secret, publicToken })
parentPort!.once('message', () => {
  void server.close().then(() => parentPort!.postMessage('closed'))
})

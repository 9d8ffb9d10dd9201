import { useState } from 'preact/hooks'
import { ErrorNote, when } from '../components'
import { useGet } from '../useApi'

interface Checkpoint {
  readonly treeSize: number
  readonly root: string
  readonly signedAt: string
  readonly keyId: string
  readonly signature: string
  readonly publicKey: string
  readonly note: string
}

const bytes = (b64: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))

/**
 * The audit log's latest signed checkpoint, and "Verify": the browser itself checks the Ed25519
 * signature over the exact signed note (WebCrypto), so the answer does not rest on the server's word.
 * Compare the key id with the one your auditors pinned; `moneta audit verify` replays the whole log.
 */
export function AuditCheckpoint() {
  const { data, error } = useGet<Checkpoint>('/v1/audit/checkpoint')
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null)
  const verify = async (cp: Checkpoint) => {
    try {
      const key = await crypto.subtle.importKey('raw', bytes(cp.publicKey), { name: 'Ed25519' }, false, [
        'verify',
      ])
      const ok = await crypto.subtle.verify(
        'Ed25519',
        key,
        bytes(cp.signature),
        new TextEncoder().encode(cp.note),
      )
      // The note is what was signed: it must name the same size and root (base64 there, hex here).
      const rootB64 = btoa(String.fromCharCode(...(cp.root.match(/../g) ?? []).map((h) => parseInt(h, 16))))
      const lines = cp.note.split('\n')
      const rootInNote = lines.includes(`size ${cp.treeSize}`) && lines.includes(`root ${rootB64}`)
      setResult(
        ok && rootInNote
          ? {
              ok: true,
              text: `Signature valid: ${cp.treeSize} entries, root ${cp.root.slice(0, 16)}… signed by ${cp.keyId}.`,
            }
          : {
              ok: false,
              text: ok ? 'The signed note does not name this tree size and root.' : 'Signature INVALID.',
            },
      )
    } catch (e) {
      setResult({ ok: false, text: `Could not verify: ${e instanceof Error ? e.message : String(e)}` })
    }
  }
  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">Audit checkpoint</h2>
      <ErrorNote error={error} />
      {data ? (
        <>
          <dl class="facts">
            <dt>Entries</dt>
            <dd>{data.treeSize}</dd>
            <dt>Root</dt>
            <dd>
              <code>{data.root}</code>
            </dd>
            <dt>Signed</dt>
            <dd>{when(data.signedAt)}</dd>
            <dt>Key</dt>
            <dd>
              <code>{data.keyId}</code>
            </dd>
          </dl>
          <button type="button" onClick={() => void verify(data)}>
            Verify
          </button>
        </>
      ) : null}
      {result ? (
        <p role="status" class={result.ok ? 'ok' : 'error'}>
          {result.text}
        </p>
      ) : null}
    </section>
  )
}

import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestPki {
  readonly dir: string
  readonly caCert: string
  readonly serverCert: string
  readonly serverKey: string
  readonly clientCertFile: string
  readonly clientKeyFile: string
  readonly caFile: string
  /** A client certificate from a different CA: the server must refuse it. */
  readonly rogueCertFile: string
  readonly rogueKeyFile: string
}

const openssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })

function issue(dir: string, name: string, subject: string, ca: string, ext: string): void {
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`])
  openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`])
  writeFileSync(join(dir, `${name}.ext`), ext)
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-sha256',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  ])
}

function makeCa(dir: string, name: string, subject: string): void {
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`])
  openssl(dir, [
    'req',
    '-x509',
    '-new',
    '-key',
    `${name}.key`,
    '-subj',
    subject,
    '-days',
    '2',
    '-sha256',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    `${name}.crt`,
  ])
}

/** A throwaway CA with a server certificate for 127.0.0.1/localhost and a client certificate, made now. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'moneta-pki-'))
  makeCa(dir, 'ca', '/CN=Moneta Test CA')
  issue(
    dir,
    'server',
    '/CN=localhost',
    'ca',
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n',
  )
  issue(dir, 'client', '/CN=moneta-client', 'ca', 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n')
  makeCa(dir, 'rogue-ca', '/CN=Rogue CA')
  issue(
    dir,
    'rogue',
    '/CN=rogue-client',
    'rogue-ca',
    'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n',
  )
  const read = (f: string) => readFileSync(join(dir, f), 'utf8')
  return {
    dir,
    caCert: read('ca.crt'),
    serverCert: read('server.crt'),
    serverKey: read('server.key'),
    caFile: join(dir, 'ca.crt'),
    clientCertFile: join(dir, 'client.crt'),
    clientKeyFile: join(dir, 'client.key'),
    rogueCertFile: join(dir, 'rogue.crt'),
    rogueKeyFile: join(dir, 'rogue.key'),
  }
}

// Throwaway certificates for TLS tests, made with `openssl` at test time in a temporary directory removed when the
// test ends: a CA, a server certificate for localhost and 127.0.0.1 and a client certificate signed by it, and a
// stranger CA with its own server and client certificates, which the first CA does not trust.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Teardown } from './server.js'

/** File names of one certificate and its key. */
export interface CertFiles {
  cert: string
  key: string
}

/** Everything a TLS test needs, as files. */
export interface TestCerts {
  dir: string
  ca: string
  server: CertFiles
  client: CertFiles
  /** Signed by another CA (`strangerCa`): refused by a server or client that trusts only `ca`. */
  strangerCa: string
  strangerServer: CertFiles
  strangerClient: CertFiles
}

const openssl = (args: string[], cwd: string): void => {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] })
}

// An EC key (fast to make) and a CA that signs with it.
function makeCa(dir: string, name: string): void {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`], dir)
}

function makeSigned(dir: string, ca: string, name: string, cn: string): CertFiles {
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir)
  fs.writeFileSync(path.join(dir, `${name}.ext`), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n')
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`], dir)
  return { cert: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}.key`) }
}

/** Makes a fresh set of certificates, removed when the test ends. */
export function makeTestCerts(t: Teardown): TestCerts {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-certs-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  makeCa(dir, 'ca')
  makeCa(dir, 'stranger-ca')
  return {
    dir,
    ca: path.join(dir, 'ca.pem'),
    server: makeSigned(dir, 'ca', 'server', 'localhost'),
    client: makeSigned(dir, 'ca', 'client', 'client'),
    strangerCa: path.join(dir, 'stranger-ca.pem'),
    strangerServer: makeSigned(dir, 'stranger-ca', 'stranger-server', 'localhost'),
    strangerClient: makeSigned(dir, 'stranger-ca', 'stranger-client', 'client'),
  }
}

// TLS for both listeners (docs/security.md): the certificate files named in the config are read once at start-up
// into the options node:tls takes; with `authenticateClient`, a client must show a certificate signed by the CA.
import fs from 'node:fs'
import type tls from 'node:tls'
import { describeSystemError } from '../system-errors.js'

/** The `tls { ... }` block of the config: where the server's certificate, key and trusted CAs are. */
export interface TlsOptions {
  /** PEM certificate (chain) the server presents. */
  certFile: string
  /** PEM private key of that certificate. */
  keyFile: string
  /** PEM certificates of the CAs a client certificate must be signed by (mutual TLS). */
  caFile?: string
  /** Require a client certificate signed by `caFile` (mutual TLS); needs `caFile`. */
  authenticateClient?: boolean
}

export const DEFAULT_TLS = {
  authenticateClient: false,
} as const

/** Reads the files of `o` into node:tls server options; throws a message naming the file and the setting. */
export function tlsServerOptions(o: TlsOptions): tls.TlsOptions {
  const authenticateClient = o.authenticateClient ?? DEFAULT_TLS.authenticateClient
  if (authenticateClient && o.caFile === undefined) throw new Error('tls: authenticate-client needs a ca-file (the CA that signs client certificates)')
  const options: tls.TlsOptions = {
    cert: readPem(o.certFile, 'cert-file'),
    key: readPem(o.keyFile, 'key-file'),
    requestCert: authenticateClient,
    rejectUnauthorized: authenticateClient,
    minVersion: 'TLSv1.2',
  }
  if (o.caFile !== undefined) options.ca = readPem(o.caFile, 'ca-file')
  return options
}

function readPem(file: string, setting: string): Buffer {
  let pem: Buffer
  try {
    pem = fs.readFileSync(file)
  } catch (err) {
    throw new Error(`tls: the ${setting} ${file} cannot be read: ${describeSystemError(err)}`)
  }
  if (!pem.includes('-----BEGIN ')) throw new Error(`tls: the ${setting} ${file} holds no PEM block`)
  return pem
}

// How cluster nodes know each other (docs/cluster.md "Security"): every node holds one peer secret, read from a file
// only its owner may read. A node opening a PEER connection proves it holds the secret without sending it: its
// PEER carries an HMAC of the cluster, its node id, the id of the node it addresses and the nonce that node sent in
// this connection's hello (so a proof made for one node cannot be passed on to another).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import fs from 'node:fs'
import { TallyError } from '../../protocol/errors.js'
import type { PeerRequest } from '../../protocol/messages.js'
import { STATUS } from '../../protocol/status.js'

/** Bytes of the challenge a node's hello carries on each connection. */
export const PEER_NONCE_BYTES = 16
/** The shortest peer secret taken: 16 bytes is 128 bits, if chosen at random (`openssl rand -hex 32`). */
export const MIN_PEER_SECRET_BYTES = 16

/** A fresh challenge for one connection's hello. */
export function peerNonce(): Buffer {
  return randomBytes(PEER_NONCE_BYTES)
}

/**
 * Reads the peer secret from `file`: its content, without the line end. Throws an Error saying what to do when the
 * file cannot be read, is readable by others than its owner, or holds fewer than MIN_PEER_SECRET_BYTES.
 */
export function readPeerSecret(file: string): Buffer {
  let mode: number
  let text: string
  try {
    mode = fs.statSync(file).mode
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw new Error(`cannot read the cluster's peer secret file ${file}: ${(err as Error).message}`)
  }
  if ((mode & 0o077) !== 0) throw new Error(`the peer secret file ${file} can be read by others than its owner (mode ${(mode & 0o777).toString(8)}): chmod 600 ${file}`)
  const secret = Buffer.from(text.replace(/\r?\n$/, ''), 'utf8')
  if (secret.length < MIN_PEER_SECRET_BYTES) throw new Error(`the peer secret in ${file} has ${secret.length} bytes; it needs at least ${MIN_PEER_SECRET_BYTES} (openssl rand -hex 32 > ${file})`)
  return secret
}

/** The proof node `nodeId` of `cluster` sends in its PEER to node `toNodeId`, on a connection whose hello carried `nonce`. */
export function peerProof(secret: Buffer, cluster: string, nodeId: string, toNodeId: string, nonce: Uint8Array): Buffer {
  return createHmac('sha256', secret).update(`tally-peer\0${cluster}\0${nodeId}\0${toNodeId}\0`).update(nonce).digest()
}

/**
 * Throws NOT_AUTHENTICATED (80) unless `request` proves that its sender holds `secret`, answering the challenge
 * `nonce` of this connection to this node, `nodeId`.
 */
export function checkPeerProof(secret: Buffer, cluster: string, nodeId: string, request: PeerRequest, nonce: Uint8Array | undefined): void {
  if (request.node === null || request.proof === null || nonce === undefined)
    throw new TallyError(STATUS.NOT_AUTHENTICATED, "PEER: this cluster's nodes prove themselves with the peer secret (a node id and a proof)")
  const expected = peerProof(secret, cluster, request.node, nodeId, nonce)
  if (request.proof.length !== expected.length || !timingSafeEqual(request.proof, expected))
    throw new TallyError(STATUS.NOT_AUTHENTICATED, `PEER: the proof of node ${request.node} does not match this node's peer secret`)
}

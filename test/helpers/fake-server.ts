// A scripted stand-in for a server, for client tests of timeouts, drops and odd hellos. It greets like Tally and
// then does whatever the test says with each request.
import net from 'node:net'
import { createPacker, createUnpacker } from './msgpackr.js'
import { encodeFrame, FrameDecoder } from '../../protocol/frame.js'
import { PROTOCOL_VERSION } from '../../protocol/messages.js'
import type { Teardown } from './server.js'

export interface FakeServerOptions {
  /** Fields of the hello to override. */
  hello?: Record<string, unknown>
  /** Called with each decoded request; reply with `send`. Default: never answer. */
  onRequest?: (request: unknown[], send: (message: unknown[]) => void, socket: net.Socket) => void
}

export interface FakeServer {
  port: number
  sockets: Set<net.Socket>
  requests: number
}

export async function fakeServer(t: Teardown, options: FakeServerOptions = {}): Promise<FakeServer> {
  const packer = createPacker()
  const state: FakeServer = { port: 0, sockets: new Set(), requests: 0 }
  const server = net.createServer((socket) => {
    state.sockets.add(socket)
    socket.on('close', () => state.sockets.delete(socket))
    socket.on('error', () => {})
    const send = (message: unknown[]): void => {
      if (!socket.destroyed) socket.write(encodeFrame(packer.pack(message)))
    }
    send([0, 0, { protocol: PROTOCOL_VERSION, server: 'fake', maxFrameBytes: 8 << 20, maxRecordBytes: 1 << 20, maxBatchKeys: 5000, ...options.hello }])
    const decoder = new FrameDecoder()
    const unpacker = createUnpacker({ mapsAsObjects: false })
    socket.on('data', (chunk: Buffer) => {
      decoder.push(chunk)
      for (let body = decoder.next(); body !== null; body = decoder.next()) {
        state.requests++
        options.onRequest?.(unpacker.unpack(body) as unknown[], send, socket)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.port = (server.address() as net.AddressInfo).port
  t.teardown(async () => {
    for (const socket of state.sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  return state
}

/** A port on which nothing listens (bound, then closed). */
export async function deadPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

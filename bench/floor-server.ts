// The floor under Tally's server figures: a Node server that does nothing but answer. It greets like Tally and
// answers every frame with `[id, 0, 1, -1, 1]`, reading only the request id; with --echo, it sends back each byte
// it gets (a bare ping-pong). Started by bench/compare.ts; prints `listening on HOST:PORT`.
import net from 'node:net'
import { FrameDecoder } from '../protocol/frame.js'
import { PROTOCOL_VERSION } from '../protocol/messages.js'
import { FrameWriter } from '../protocol/msgpack-writer.js'
import { peekRequestId } from '../protocol/request-codec.js'
import { writeHello, writeRecordResponse } from '../protocol/response-codec.js'

const ANSWER = { gen: 1, ttl: -1, payload: 1 }
const HELLO = { protocol: PROTOCOL_VERSION, server: 'floor', maxFrameBytes: 8 << 20, maxRecordBytes: 1 << 20, maxBatchKeys: 5000 }

function answerFrames(socket: net.Socket): void {
  const decoder = new FrameDecoder()
  const w = new FrameWriter()
  w.begin()
  writeHello(w, HELLO)
  w.end()
  socket.write(w.take())
  socket.on('data', (chunk: Buffer) => {
    decoder.push(chunk)
    // One write per read, as Tally's server does.
    for (let body = decoder.next(); body !== null; body = decoder.next()) {
      w.begin()
      writeRecordResponse(w, peekRequestId(body), ANSWER)
      w.end()
    }
    if (w.length > 0) socket.write(w.take())
  })
}

const echo = process.argv.includes('--echo')
const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('error', () => socket.destroy())
  if (echo) socket.on('data', (chunk: Buffer) => socket.write(chunk))
  else answerFrames(socket)
})
server.listen(0, '127.0.0.1', 511, () => {
  const { port } = server.address() as net.AddressInfo
  process.stdout.write(`listening on 127.0.0.1:${port}\n`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))

// A link to another node on its own, against a node that accepts the connection and then says nothing: requests
// wait for it in bounded memory, and the link is given up after the forwarding timeout, with nothing sent.
import net from 'node:net'
import t from 'tap'
import { OP, PROTOCOL_VERSION, SERVER_MESSAGE_ID } from '../../protocol/messages.js'
import { STATUS } from '../../protocol/status.js'
import { FORWARD_TIMEOUT_MS, MAX_LINK_BUFFERED_BYTES, PeerLink } from '../../server/cluster/peer-link.js'
import { frame } from '../helpers/frames.js'
import { createUnpacker } from '../helpers/msgpackr.js'

const unpacker = createUnpacker({ mapsAsObjects: true })
const answerOf = (bytes: Uint8Array): unknown[] => unpacker.unpack(bytes.subarray(4)) as unknown[]

t.test('a node that never opens the link: requests wait in bounded memory, then get 11, and nothing is sent', async (t) => {
  let received = 0
  const sockets: net.Socket[] = []
  const silent = net.createServer((socket) => {
    sockets.push(socket)
    socket.on('data', (d: Buffer) => (received += d.length))
  })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const s of sockets) s.destroy()
    silent.close()
  })
  const link = new PeerLink('127.0.0.1', (silent.address() as net.AddressInfo).port)
  t.teardown(() => link.close())
  // A PUT of 1 MiB, forwarded again and again: past the bound, the rest are refused at once.
  const body = frame([1, OP.PUT, 'test', 's', Buffer.alloc(20, 1), null, null, 0, 0, ['b', Buffer.alloc(1 << 20)]]).subarray(4)
  const count = Math.ceil(MAX_LINK_BUFFERED_BYTES / body.length) + 8
  const answers = Array.from({ length: count }, (_, i) => link.forward(body, i + 1))
  const started = Date.now()
  const refusedAtOnce = (await Promise.all(answers.map((a) => Promise.race([a, new Promise<null>((r) => setTimeout(() => r(null), 200))])))).filter((a) => a !== null)
  t.ok(refusedAtOnce.length >= 8 && refusedAtOnce.length < count, `${refusedAtOnce.length} of ${count} refused at once, the others wait`)
  for (const a of refusedAtOnce) t.match(answerOf(a), [Number, STATUS.UNAVAILABLE, /not taking requests as fast as they come/])
  const all = await Promise.all(answers)
  const waitedMs = Date.now() - started
  t.ok(waitedMs >= FORWARD_TIMEOUT_MS - 300 && waitedMs < FORWARD_TIMEOUT_MS + 10_000, `given up after ${waitedMs} ms`)
  t.equal(all.filter((a) => /did not open the link/.test(String(answerOf(a)[2]))).length, count - refusedAtOnce.length, 'the waiting ones: 11, the link never opened')
  t.equal(received, 0, 'nothing was sent to the silent node')
  t.equal(link.closed, true)
})

t.test('a link lost after it opened answers what it sent 9, as a timeout (a write may have been applied), not 11', async (t) => {
  const sockets: net.Socket[] = []
  // A node that opens the link, then drops it as soon as a forwarded request comes.
  const dropping = net.createServer((socket) => {
    sockets.push(socket)
    socket.write(frame([SERVER_MESSAGE_ID, STATUS.OK, { protocol: PROTOCOL_VERSION, maxFrameBytes: 1 << 20, maxRecordBytes: 1 << 20, maxBatchKeys: 5000 }]))
    let frames = 0
    socket.on('data', (d: Buffer) => {
      for (let at = 0; at < d.length; at += 4 + d.readUInt32BE(at)) {
        frames++
        if (frames === 1) socket.write(frame([1, STATUS.OK])) // the PEER: accepted
        else socket.destroy() // the request: the connection is lost
      }
    })
  })
  await new Promise<void>((resolve) => dropping.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const s of sockets) s.destroy()
    dropping.close()
  })
  const link = new PeerLink('127.0.0.1', (dropping.address() as net.AddressInfo).port)
  t.teardown(() => link.close())
  const body = frame([1, OP.INCREMENT, 'test', 's', Buffer.alloc(20, 1), null, null, 0, 0, 'n', 1]).subarray(4)
  t.match(answerOf(await link.forward(body, 42)), [42, STATUS.TIMEOUT, /lost the connection to the partition's owner .* \(a write may have been applied\)/])
  t.match(answerOf(await link.forward(body, 43)), [43, STATUS.UNAVAILABLE, /no connection/], 'the next one is not sent: 11')
})

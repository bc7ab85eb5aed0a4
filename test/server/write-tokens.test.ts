// Write tokens at the server (PROTOCOL.md §3.1): a retry gets the first answer, byte for byte, and is applied once;
// failures a retry would repeat are remembered, others are not; a token past the window is OUTCOME_UNKNOWN and is
// not applied; writes without one are served as before; info counts it all.
import t from 'tap'
import { computeDigest } from '../../protocol/digest.js'
import { BIN_OP, OP } from '../../protocol/messages.js'
import { STATUS, TALLY_STATUS } from '../../protocol/status.js'
import { ManualClock } from '../../server/store/clock.js'
import { testServer } from '../helpers/server.js'
import { afterId, header, increment, newClient, RawConnection } from '../helpers/tokens.js'

let keys = 0
const digestOf = (): Buffer => computeDigest('tokens', `k${process.pid}-${++keys}`)

const statistics = async (c: RawConnection): Promise<Record<string, string>> => {
  const { message } = await c.send([99, OP.INFO, ['statistics']])
  return Object.fromEntries(((message[2] as [string, string][])[0]![1]).split(';').map((pair) => pair.split('=') as [string, string]))
}

t.test('a retry after the answer was lost gets the first answer, byte for byte, on any connection; applied once', async (t) => {
  const server = await testServer(t)
  const { connection: a, hello } = await RawConnection.open(t, server.address.port)
  const { connection: b } = await RawConnection.open(t, server.address.port)
  t.equal(hello.writeWindowMs, 60_000, 'the hello says how long answers are remembered')
  const client = newClient()
  const digest = digestOf()
  const first = await a.send(increment(1, digest, 5, client, 1, false))
  t.same(first.message, [1, 0, 1, -1, 5])
  // The answer was lost: the client sends the write again, on another connection, under another request id.
  const retry = await b.send(increment(300, digest, 5, client, 1, true))
  t.same(retry.message, [300, 0, 1, -1, 5])
  t.same(afterId(retry.bytes), afterId(first.bytes), 'the same bytes but for the id')
  const again = await a.send(increment(70_000, digest, 5, client, 1, true))
  t.same(afterId(again.bytes), afterId(first.bytes))
  t.same((await a.send([...header(2, OP.GET, digest), null])).message, [2, 0, 1, -1, ['n', 5]], 'applied once: generation 1, value 5')
  // Every kind of write: the answer of each, and nothing applied again.
  const other = digestOf()
  const writes: unknown[][] = [
    [...header(0, OP.PUT, other), ['s', 'x', 'n', 1]],
    [...header(0, OP.OPERATE, other), [[BIN_OP.APPEND, 's', 'y'], [BIN_OP.INCR, 'n', 2], [BIN_OP.READ, 's'], [BIN_OP.READ, 'n']]],
    [...header(0, OP.OPERATE, other), [[BIN_OP.PREPEND, 's', 'w']]],
    [...header(0, OP.TOUCH, other)],
    [0, OP.BATCH_OPERATE, [['test', 'tokens', other, null, null, 0, 0, [[BIN_OP.INCR, 'n', 10], [BIN_OP.READ, 'n']]], ['test', 'tokens', digest, null, null, 0, 0, [[BIN_OP.INCR, 'n', 1]]]]],
    [...header(0, OP.REMOVE, other)],
  ]
  let seq = 10
  for (const write of writes) {
    seq++
    const sent = await a.send([10 + seq, ...write.slice(1), [client, seq, false]])
    t.equal(sent.message[1], 0, `op ${write[1]} applied`)
    const retried = await b.send([20 + seq, ...write.slice(1), [client, seq, true]])
    t.same(afterId(retried.bytes), afterId(sent.bytes), `op ${write[1]}: the retry gets the first answer`)
  }
  t.same((await a.send([...header(3, OP.GET, digest), null])).message, [3, 0, 2, -1, ['n', 6]], 'the batch applied once')
  t.match((await a.send([...header(4, OP.GET, other), null])).message, [4, STATUS.NOT_FOUND])
  const stats = await statistics(a)
  t.equal(stats.write_window_hits, String(2 + writes.length))
  t.equal(stats.write_window_clients, '1')
  t.equal(stats.write_window_entries, String(1 + writes.length))
})

t.test('a retried failed write answers the same failure, not another; failures that may pass are not remembered', async (t) => {
  const server = await testServer(t, { namespaces: [{ name: 'test' }, { name: 'full', dataSizeBytes: 100 }] })
  const { connection: c } = await RawConnection.open(t, server.address.port)
  const client = newClient()
  const digest = digestOf()
  t.equal((await c.send([...header(1, OP.PUT, digest), ['a', 1]])).message[1], 0)
  const create = (id: number, resent: boolean): unknown[] => [...header(id, OP.PUT, digest, 1), ['a', 2], [client, 1, resent]]
  const failed = await c.send(create(2, false))
  t.match(failed.message, [2, STATUS.RECORD_EXISTS, /exists/])
  t.equal((await c.send([...header(3, OP.REMOVE, digest)])).message[1], 0, 'the record goes: a create would now succeed')
  const retried = await c.send(create(4, true))
  t.same(afterId(retried.bytes), afterId(failed.bytes), 'the retry gets status 5 again')
  t.match((await c.send([...header(5, OP.GET, digest), null])).message, [5, STATUS.NOT_FOUND], 'and nothing was written')
  // Status 8 (stop-writes) changed nothing and may pass: a retry is served anew.
  t.equal((await c.send([1, OP.PUT, 'full', 'tokens', digestOf(), null, null, 0, 0, ['a', 1]])).message[1], 0, 'the namespace is now over its budget')
  const full = [1, OP.PUT, 'full', 'tokens', digest, null, null, 0, 0, ['a', 1], [client, 2, false]]
  t.match((await c.send(full)).message, [1, STATUS.OUT_OF_SPACE])
  t.match((await c.send([2, ...full.slice(1, 10), [client, 2, true]])).message, [2, STATUS.OUT_OF_SPACE, /stop-writes/], 'served anew')
  t.equal((await statistics(c)).write_window_hits, '1')
})

t.test('a token past the window: OUTCOME_UNKNOWN (240), never applied a second time', async (t) => {
  const clock = new ManualClock(Date.now())
  const server = await testServer(t, { clock, maxWriteWindowEntries: 1024, writeWindowAgeMs: 10_000 })
  const { connection: c } = await RawConnection.open(t, server.address.port)
  const digest = digestOf()
  const client = newClient()
  t.equal((await c.send(increment(1, digest, 1, client, 1, false))).message[1], 0)
  // A write far ahead: the window holds 1024 answers, so write 1's answer is pushed out, young as it is.
  t.equal((await c.send(increment(2, digest, 1, client, 1100, false))).message[1], 0)
  t.match((await c.send(increment(3, digest, 1, client, 1, true))).message, [3, TALLY_STATUS.OUTCOME_UNKNOWN, /older than the server's window/])
  // A client the server knows nothing of, retrying: it may have been answered before the window forgot it.
  t.match((await c.send(increment(4, digest, 1, newClient(), 7, true))).message, [4, TALLY_STATUS.OUTCOME_UNKNOWN])
  // Its first attempt is another matter: never sent before, it cannot have been applied.
  t.match((await c.send(increment(5, digest, 1, newClient(), 7, false))).message, [5, 0])
  // A client silent for longer than the window's age (and the second the last client's ring may outlive it) is forgotten.
  const quiet = newClient()
  t.equal((await c.send(increment(6, digest, 1, quiet, 1, false))).message[1], 0)
  clock.advance(11_001)
  t.match((await c.send(increment(7, digest, 1, quiet, 1, true))).message, [7, TALLY_STATUS.OUTCOME_UNKNOWN])
  t.same((await c.send([...header(8, OP.GET, digest), null])).message, [8, 0, 4, -1, ['n', 4]], 'the unknown ones were not applied')
  const stats = await statistics(c)
  t.equal(stats.write_window_unknown, '3')
  t.ok(Number(stats.write_window_evicted) >= 1, `evicted young for want of room: ${stats.write_window_evicted}`)
  t.equal(stats.write_window_expired, '1', 'the quiet client')
})

t.test('with the window off, the hello says so and tokens are ignored: writes are served as without one', async (t) => {
  const server = await testServer(t, { maxWriteWindowEntries: 0 })
  const { connection: c, hello } = await RawConnection.open(t, server.address.port)
  t.equal(hello.writeWindowMs, 0)
  const digest = digestOf()
  const client = newClient()
  t.same((await c.send(increment(1, digest, 1, client, 1, false))).message, [1, 0, 1, -1, 1])
  t.same((await c.send(increment(2, digest, 1, client, 1, true))).message, [2, 0, 2, -1, 2], 'applied again, as the hello warned')
  t.equal((await statistics(c)).write_window_entries, '0')
})

// RESTORE through the client: records written exactly (generation, expiry, stored key), and what is refused, record
// by record: a key that does not give the digest, bins named twice or with no value, a record too big.
import t from 'tap'
import { Double, Key, RESTORE_OUTCOME, STATUS, type StoredRecord } from '../../client/index.js'
import { computeDigest } from '../../protocol/digest.js'
import { serverAndClient } from '../helpers/server.js'

const record = (over: Partial<StoredRecord> = {}): StoredRecord => ({
  digest: computeDigest('s', 'k'),
  set: 's',
  key: 'k',
  gen: 7,
  voidMs: Date.now() + 3600_000,
  bins: ['n', 1, 'd', new Double(2)],
  ...over,
})

t.test('a record is written with its generation, expiry and stored key', async (t) => {
  const { client } = await serverAndClient(t)
  t.same(await client.restore('test', [record()]), [RESTORE_OUTCOME.WRITTEN])
  const got = await client.get(new Key('test', 's', 'k'))
  t.same(got.bins, { n: 1, d: 2 })
  t.equal(got.gen, 7)
  t.ok(got.ttl > 3590 && got.ttl <= 3600, `ttl ${got.ttl}`)
  await t.rejects(client.get(new Key('test', 's', 'other', computeDigest('s', 'k')), { key: 'send' }), { code: STATUS.KEY_MISMATCH }, 'the key is stored')
  t.same(await client.restore('test', [record({ voidMs: Date.now() - 1000, digest: computeDigest('s', 'old'), key: 'old' })]), [RESTORE_OUTCOME.EXPIRED])
  t.equal(await client.exists(new Key('test', 's', 'old')), false, 'an expired record is not written')
  t.same(await client.restore('test', [record({ voidMs: 0, digest: computeDigest('', 5), set: '', key: 5 })]), [RESTORE_OUTCOME.WRITTEN])
  t.same(await client.existsWithMetadata(new Key('test', '', 5)), { gen: 7, ttl: -1 }, 'void time 0: never expires')
})

t.test('bad records are refused one by one with status 4 (or 13, 21); the others are written', async (t) => {
  const { client } = await serverAndClient(t)
  const refused: [Partial<StoredRecord>, number, RegExp][] = [
    [{ key: 'other' }, STATUS.PARAMETER, /do not give this digest/],
    [{ bins: [] }, STATUS.PARAMETER, /at least one bin/],
    [{ bins: ['n', 1, 'n', 2] }, STATUS.PARAMETER, /bin 'n' is given twice/],
    [{ bins: ['n', null] }, STATUS.PARAMETER, /bin 'n' has no value/],
    [{ bins: ['a-very-long-bin-name', 1] }, STATUS.BIN_NAME, /longer than 15 bytes/],
    [{ bins: ['b', Buffer.alloc(2 * 1024 * 1024)] }, STATUS.RECORD_TOO_BIG, /exceeds the limit/],
  ]
  const good = record({ digest: computeDigest('s', 'good'), key: 'good' })
  const outcomes = await client.restore('test', [...refused.map(([over]) => record(over)), good])
  refused.forEach(([, code, message], i) => t.match(outcomes[i], { code, message }, String(message)))
  t.equal(outcomes.at(-1), RESTORE_OUTCOME.WRITTEN, 'a good record beside refused ones is written')
  t.match(await client.restore('nope', [record()]), [{ code: STATUS.NAMESPACE }])
  await t.rejects(client.restore('test', [record()], 'merge' as 'skip'), { code: -2 })
  await t.rejects(client.restore('test', []), { code: -2 })
  t.equal(await client.exists(new Key('test', 's', 'k')), false)
  t.equal(await client.exists(new Key('test', 's', 'good')), true)
})

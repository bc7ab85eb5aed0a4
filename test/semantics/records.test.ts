// Record semantics end to end (client -> TCP -> server): keys, bins and values, generation, exists and key
// policies, remove/touch/exists, and namespaces.
import t from 'tap'
import { Double, Key, STATUS, CLIENT_STATUS } from '../../client/index.js'
import { serverAndClient, uniqueKey } from '../helpers/server.js'

t.test('records', async (t) => {
  const { client } = await serverAndClient(t, { namespaces: [{ name: 'test' }, { name: 'small', maxRecordBytes: 1000 }] })

  t.test('every value type round-trips', async (t) => {
    const key = uniqueKey()
    const bins = {
      int: 42,
      neg: -7,
      big: 2n ** 62n,
      minInt: -(2n ** 63n),
      wide: 2 ** 40,
      dbl: 1.25,
      str: 'héllo',
      bytes: Buffer.from([0, 1, 255]),
      yes: true,
      no: false,
      list: [1, 'two', [3], { four: 4 }],
      map: { a: 1, nested: { b: [2] } },
    }
    await client.put(key, bins)
    t.same((await client.get(key)).bins, bins)
  })

  t.test('integers are exact past 2^53 and come back as bigint only beyond it', async (t) => {
    const key = uniqueKey()
    await client.put(key, { safe: Number.MAX_SAFE_INTEGER, past: 2n ** 53n + 1n, small: 5n })
    const { bins } = await client.get(key)
    t.equal(bins.safe, Number.MAX_SAFE_INTEGER)
    t.equal(bins.past, 2n ** 53n + 1n)
    t.equal(bins.small, 5, 'a small bigint is a number on the way back')
  })

  t.test('an integral Double stays a double: increments need a Double', async (t) => {
    const key = uniqueKey()
    await client.put(key, { d: new Double(2) })
    t.equal((await client.get(key)).bins.d, 2)
    await t.rejects(client.increment(key, 'd', 1), { code: STATUS.INCOMPATIBLE_TYPE })
    t.equal(await client.increment(key, 'd', new Double(1)), 3)
    t.equal(await client.increment(key, 'd', 0.5), 3.5)
  })

  t.test('null deletes a bin; a record left with no bins is deleted', async (t) => {
    const key = uniqueKey()
    await client.put(key, { a: 1, b: 2 })
    await client.put(key, { a: null })
    t.same((await client.get(key)).bins, { b: 2 })
    t.same(await client.put(key, { b: null }), { gen: 0, ttl: 0 })
    t.equal(await client.exists(key), false)
    await t.rejects(client.put(uniqueKey(), { a: null }), { code: STATUS.NOT_FOUND }, 'deleting a bin of no record')
  })

  t.test('bin names: up to 15 bytes; longer or empty is status 21', async (t) => {
    const key = uniqueKey()
    await client.put(key, { ['x'.repeat(15)]: 1 })
    await t.rejects(client.put(key, { ['x'.repeat(16)]: 1 }), { code: STATUS.BIN_NAME })
    await t.rejects(client.put(key, { ['é'.repeat(8)]: 1 }), { code: STATUS.BIN_NAME }, '16 UTF-8 bytes')
    await t.rejects(client.put(key, { '': 1 }), { code: STATUS.BIN_NAME })
    await t.rejects(client.select(key, ['y'.repeat(16)]), { code: STATUS.BIN_NAME })
    t.same((await client.get(key)).bins, { ['x'.repeat(15)]: 1 }, 'failed writes changed nothing')
  })

  t.test('a bin called __proto__ is an ordinary bin', async (t) => {
    const key = uniqueKey()
    await client.put(key, JSON.parse('{"__proto__": 5, "x": 1}'))
    const { bins } = await client.get(key)
    t.equal(Object.getPrototypeOf(bins), Object.prototype)
    t.same(Object.entries(bins), [['__proto__', 5], ['x', 1]])
  })

  t.test('keys: string, integer, bigint, bytes and digest alone address records', async (t) => {
    for (const userKey of ['s', 12, 2n ** 60n, Buffer.from([1, 2])]) {
      const key = new Key('test', 'keys', userKey)
      await client.put(key, { v: String(userKey) })
      t.equal((await client.get(new Key('test', null, null, key.digest))).bins.v, String(userKey))
    }
    t.equal((await client.get(new Key('test', 'keys', 12n))).bins.v, '12', 'number and bigint 12 are one key')
  })

  t.test('an unknown namespace is status 20', async (t) => {
    await t.rejects(client.put(new Key('nope', 's', 1), { a: 1 }), { code: STATUS.NAMESPACE, message: /'nope'/ })
    await t.rejects(client.get(new Key('nope', 's', 1)), { code: STATUS.NAMESPACE })
  })

  t.test('get rejects with NOT_FOUND; exists and existsWithMetadata do not', async (t) => {
    const key = uniqueKey()
    await t.rejects(client.get(key), { code: STATUS.NOT_FOUND })
    await t.rejects(client.select(key, ['a']), { code: STATUS.NOT_FOUND })
    t.equal(await client.exists(key), false)
    t.equal(await client.existsWithMetadata(key), null)
    await client.put(key, { a: 1, b: 2 })
    t.equal(await client.exists(key), true)
    t.same(await client.existsWithMetadata(key), { gen: 1, ttl: -1 })
    t.same((await client.select(key, ['b', 'zz'])).bins, { b: 2 }, 'select returns the named bins that exist')
  })

  t.test('remove and touch need a record (status 2)', async (t) => {
    const key = uniqueKey()
    await t.rejects(client.remove(key), { code: STATUS.NOT_FOUND })
    await t.rejects(client.touch(key), { code: STATUS.NOT_FOUND })
    await client.put(key, { a: 1 })
    t.same(await client.touch(key, { ttl: 60 }), { gen: 2, ttl: 60 })
    await client.remove(key)
    t.equal(await client.exists(key), false)
    await t.rejects(client.remove(key), { code: STATUS.NOT_FOUND })
  })

  t.test('generation: 1 on create, +1 per write, checked by the eq and gt policies', async (t) => {
    const key = uniqueKey()
    t.same(await client.put(key, { a: 1 }), { gen: 1, ttl: -1 })
    t.same(await client.put(key, { a: 2 }), { gen: 2, ttl: -1 })
    const err = await client.put(key, { a: 3 }, { gen: 1 }, { gen: 'eq' }).catch((e) => e)
    t.match(err, { code: STATUS.GENERATION, gen: 2 }, 'the error carries the current generation')
    t.same(await client.put(key, { a: 3 }, { gen: 2 }, { gen: 'eq' }), { gen: 3, ttl: -1 })
    await t.rejects(client.put(key, { a: 4 }, { gen: 3 }, { gen: 'gt' }), { code: STATUS.GENERATION })
    t.same(await client.put(key, { a: 4 }, { gen: 10 }, { gen: 'gt' }), { gen: 4, ttl: -1 })
    await t.rejects(client.remove(key, { gen: 1 }, { gen: 'eq' }), { code: STATUS.GENERATION })
    t.equal((await client.get(key)).bins.a, 4, 'failed writes left the record as it was')
    const fresh = uniqueKey()
    await t.rejects(client.put(fresh, { a: 1 }, { gen: 1 }, { gen: 'eq' }), { code: STATUS.GENERATION, gen: 0 })
    t.same(await client.put(fresh, { a: 1 }, { gen: 0 }, { gen: 'eq' }), { gen: 1, ttl: -1 }, 'eq 0 creates')
  })

  t.test('generation wraps 65535 -> 1', async (t) => {
    const key = uniqueKey()
    await client.put(key, { n: 0 })
    for (let done = 1; done < 65535; ) {
      const batch = Math.min(5000, 65535 - done)
      await Promise.all(Array.from({ length: batch }, () => client.increment(key, 'n', 1)))
      done += batch
    }
    t.equal((await client.get(key)).gen, 65535)
    t.same(await client.touch(key), { gen: 1, ttl: -1 })
    t.equal((await client.get(key)).bins.n, 65534)
  })

  t.test('exists policies', async (t) => {
    const key = uniqueKey()
    await t.rejects(client.put(key, { a: 1 }, undefined, { exists: 'update' }), { code: STATUS.NOT_FOUND })
    await t.rejects(client.put(key, { a: 1 }, undefined, { exists: 'replace' }), { code: STATUS.NOT_FOUND })
    await client.put(key, { a: 1, b: 1 }, undefined, { exists: 'create' })
    await t.rejects(client.put(key, { a: 2 }, undefined, { exists: 'create' }), { code: STATUS.RECORD_EXISTS })
    await client.put(key, { c: 1 }, undefined, { exists: 'update' })
    t.same((await client.get(key)).bins, { a: 1, b: 1, c: 1 }, 'update merges')
    await client.put(key, { d: 1 }, undefined, { exists: 'replace' })
    t.same((await client.get(key)).bins, { d: 1 }, 'replace drops the old bins')
    await client.put(key, { e: 1 }, undefined, { exists: 'createOrReplace' })
    t.same((await client.get(key)).bins, { e: 1 })
    const other = uniqueKey()
    await client.put(other, { e: 1 }, undefined, { exists: 'createOrReplace' })
    t.equal(await client.exists(other), true, 'createOrReplace creates')
    await t.rejects(client.increment(key, 'n', 1, undefined, undefined, { exists: 'replace' }), { code: STATUS.PARAMETER })
    await t.rejects(client.put(key, { e: null, f: 1 }, undefined, { exists: 'replace' }), { code: STATUS.PARAMETER }, 'a bin delete under replace')
    t.same((await client.get(key)).bins, { e: 1 }, 'refused writes changed nothing')
  })

  t.test("key policy 'send' stores the key; a different key for the same digest is status 19", async (t) => {
    const key = uniqueKey()
    await client.put(key, { a: 1 }, undefined, { key: 'send' })
    const impostor = new Key('test', key.set, 'someone else', key.digest)
    await t.rejects(client.get(impostor, { key: 'send' }), { code: STATUS.KEY_MISMATCH })
    await t.rejects(client.put(impostor, { a: 2 }, undefined, { key: 'send' }), { code: STATUS.KEY_MISMATCH })
    await t.rejects(client.remove(impostor, undefined, { key: 'send' }), { code: STATUS.KEY_MISMATCH })
    t.equal((await client.get(key, { key: 'send' })).bins.a, 1)
    t.equal((await client.get(impostor)).bins.a, 1, "with the 'digest' policy no key is compared")
  })

  t.test('records over the size limit are status 13 and change nothing', async (t) => {
    const key = new Key('small', 's', 'big')
    await client.put(key, { s: 'x'.repeat(500) })
    await t.rejects(client.put(key, { t: 'y'.repeat(600) }), { code: STATUS.RECORD_TOO_BIG })
    await t.rejects(client.append(key, { s: 'z'.repeat(600) }), { code: STATUS.RECORD_TOO_BIG })
    t.same((await client.get(key)).bins, { s: 'x'.repeat(500) })
    await t.rejects(client.put(uniqueKey(), { s: 'x'.repeat(2 * 1024 * 1024) }), { code: STATUS.RECORD_TOO_BIG }, '1 MiB default')
  })

  t.test('append and prepend on strings and bytes; other types are status 12', async (t) => {
    const key = uniqueKey()
    await client.append(key, { s: 'b', raw: Buffer.from([2]) })
    await client.append(key, { s: 'c', raw: Buffer.from([3]) })
    await client.prepend(key, { s: 'a', raw: Buffer.from([1]) })
    t.same((await client.get(key)).bins, { s: 'abc', raw: Buffer.from([1, 2, 3]) })
    await client.put(key, { n: 1 })
    await t.rejects(client.append(key, { n: 'x' }), { code: STATUS.INCOMPATIBLE_TYPE })
    await t.rejects(client.append(key, { s: Buffer.from([1]) }), { code: STATUS.INCOMPATIBLE_TYPE })
    await t.rejects(client.append(key, { s: 5 }), { code: STATUS.PARAMETER })
  })

  t.test('batchGet reads many records in one call, null where missing', async (t) => {
    const keys = [uniqueKey(), uniqueKey(), uniqueKey()]
    await client.put(keys[0]!, { a: 1, b: 1 })
    await client.put(keys[2]!, { a: 3 })
    const records = await client.batchGet(keys)
    t.same(records.map((r) => r?.bins ?? null), [{ a: 1, b: 1 }, null, { a: 3 }])
    t.equal(records[0]!.key, keys[0])
    const selected = await client.batchSelect(keys, ['b'])
    t.same(selected.map((r) => r?.bins ?? null), [{ b: 1 }, null, {}])
    await t.rejects(client.batchGet([keys[0]!, new Key('nope', 's', 1)]), { code: STATUS.NAMESPACE, message: /batch key 1/ })
    t.same(await client.batchGet([]), [])
  })

  t.test('commit levels and timeouts are accepted on every call', async (t) => {
    const key = uniqueKey()
    await client.put(key, { a: 1 }, undefined, { commitLevel: 'master', totalTimeoutMs: 500, socketTimeoutMs: 100, maxRetries: 1 })
    await client.put(key, { a: 2 }, undefined, { commitLevel: 'all' })
    t.equal((await client.get(key, { totalTimeoutMs: 0 })).bins.a, 2)
  })

  t.test('bad arguments are refused before sending with PARAMETER (-2)', async (t) => {
    const key = uniqueKey()
    await t.rejects(client.put(key, { a: undefined as never }), { code: CLIENT_STATUS.PARAMETER })
    await t.rejects(client.put(key, [] as never), { code: CLIENT_STATUS.PARAMETER })
    await t.rejects(client.put(key, { a: 1 }, undefined, { exists: 'sometimes' as never }), { code: CLIENT_STATUS.PARAMETER, message: /exists must be one of/ })
    await t.rejects(client.put(key, { a: 1 }, { ttl: 1.5 }), { code: CLIENT_STATUS.PARAMETER })
    await t.rejects(client.get('k' as never), { code: CLIENT_STATUS.PARAMETER })
    await t.rejects(client.operate(key, []), { code: CLIENT_STATUS.PARAMETER })
    await t.rejects(client.get(key, { totalTimeoutMs: -1 }), { code: CLIENT_STATUS.PARAMETER })
    t.equal(await client.exists(key), false, 'nothing was written')
  })
})

// Info commands that act on records rather than describe the server: Aerospike's `truncate:namespace=NS;set=S`
// and `truncate-namespace:namespace=NS`, and `records:namespace=NS[;set=S];from=ID`, one page of whole records for
// `tally backup` (base64 of msgpack), read until scans stream records over the protocol.
import { describeValue, TallyError } from '../protocol/errors.js'
import { MsgpackWriter } from '../protocol/msgpack-writer.js'
import { STATUS } from '../protocol/status.js'
import type { Store } from './store/store.js'

/** A records page stops after this many record ids, or once its records take this many bytes. */
const PAGE_IDS = 16_384
const PAGE_BYTES = 1024 * 1024

/** The value of a data info command, or undefined if `command` is not one. */
export function dataInfoValue(store: Store, command: string): string | undefined {
  const colon = command.indexOf(':')
  const name = colon < 0 ? command : command.slice(0, colon)
  if (name !== 'truncate' && name !== 'truncate-namespace' && name !== 'records') return undefined
  const params = new Map(
    command
      .slice(colon + 1)
      .split(';')
      .filter((p) => p.includes('='))
      .map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]),
  )
  const ns = params.get('namespace') ?? ''
  if (ns === '') return `ERROR:${STATUS.PARAMETER}:${name}: namespace= is missing`
  if (store.findNamespace(ns) === undefined) return `ERROR:${STATUS.NAMESPACE}:namespace ${describeValue(ns)} does not exist`
  try {
    if (name === 'records') return recordsPage(store, ns, params.get('set') ?? null, Number(params.get('from') ?? 0))
    if (name === 'truncate' && !params.has('set')) return `ERROR:${STATUS.PARAMETER}:truncate: set= is missing (truncate-namespace empties a namespace)`
    store.truncate(ns, name === 'truncate' ? params.get('set')! : null)
    return 'ok'
  } catch (err) {
    if (err instanceof TallyError) return `ERROR:${err.code}:${err.message}`
    throw err
  }
}

// `[next, [digest, set, key, gen, voidMs, bins]...]`: the live records of set `set` (null: any) among record ids
// [from, next); next is -1 past the last.
function recordsPage(store: Store, name: string, set: string | null, from: number): string {
  if (!Number.isSafeInteger(from) || from < 0) throw new TallyError(STATUS.PARAMETER, 'records: from= must be a record id (0 to start)')
  const ns = store.namespace(name)
  const now = store.clock.nowMs()
  const w = new MsgpackWriter(64 * 1024)
  let records = 0
  let next = from
  while (next >= 0 && next - from < PAGE_IDS && w.length < PAGE_BYTES) {
    next = ns.scan(next, 256, (digest, state) => {
      if ((set !== null && state.set !== set) || (state.voidMs !== 0 && state.voidMs <= now)) return
      w.array(6)
      w.bin(digest)
      w.str(state.set)
      w.value(state.userKey ?? null)
      w.number(state.gen)
      w.number(state.voidMs)
      w.value(state.bins)
      records++
    })
  }
  const body = w.take()
  w.array(records + 1)
  w.number(next)
  return Buffer.concat([w.take(), body]).toString('base64')
}

// Info commands that act on records rather than describe the server: Aerospike's `truncate:namespace=NS;set=S`
// and `truncate-namespace:namespace=NS`, counted as truncates (metrics/op-counts.ts).
import { describeValue, TallyError } from '../protocol/errors.js'
import { STATUS } from '../protocol/status.js'
import type { OpCounts } from './metrics/op-counts.js'
import type { Store } from './store/store.js'

/** The value of a data info command, or undefined if `command` is not one. */
export function dataInfoValue(store: Store, opCounts: OpCounts, command: string): string | undefined {
  const colon = command.indexOf(':')
  const name = colon < 0 ? command : command.slice(0, colon)
  if (name !== 'truncate' && name !== 'truncate-namespace') return undefined
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
  const failure = truncate(store, ns, name, params)
  opCounts.add(ns, 'truncate', failure?.code ?? STATUS.OK)
  return failure === undefined ? 'ok' : `ERROR:${failure.code}:${failure.message}`
}

// Truncates as the command says; the refusal, if any.
function truncate(store: Store, ns: string, name: string, params: Map<string, string>): TallyError | undefined {
  if (name === 'truncate' && !params.has('set')) return new TallyError(STATUS.PARAMETER, 'truncate: set= is missing (truncate-namespace empties a namespace)')
  try {
    store.truncate(ns, name === 'truncate' ? params.get('set')! : null)
    return undefined
  } catch (err) {
    if (err instanceof TallyError) return err
    throw err
  }
}

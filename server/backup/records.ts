// Where `tally backup` reads its records: the one place to change when scans stream records over the protocol
// (client.scan). Today it pages through the `records:` info command (server/info-data.ts).
import type { Client } from '../../client/client.js'
import type { StoredRecord } from '../../client/records.js'
import { TallyError } from '../../protocol/errors.js'
import { FLOATS } from '../../protocol/msgpack-format.js'
import { MsgpackReader } from '../../protocol/msgpack-reader.js'
import { CLIENT_STATUS } from '../../protocol/status.js'
import type { UserKey } from '../../protocol/types.js'

/**
 * The records of set `set` (null: all) in namespace `ns`, as stored, a page at a time. Records written or removed
 * while it runs may or may not be seen; each one seen is seen whole.
 */
export async function* records(client: Client, ns: string, set: string | null): AsyncGenerator<StoredRecord[]> {
  const setParam = set === null ? '' : `;set=${set}`
  for (let from = 0; from >= 0; ) {
    const command = `records:namespace=${ns}${setParam};from=${from}`
    const page = readRecordPage((await client.info(command))[command]!)
    from = page.next
    if (page.records.length > 0) yield page.records
  }
}

const reader = new MsgpackReader({ mapsAsObjects: false, floats: FLOATS.DOUBLES })

// `[next, [digest, set, key, gen, voidMs, bins]...]` in base64, or an `ERROR:code:message` value.
function readRecordPage(value: string): { next: number; records: StoredRecord[] } {
  if (value.startsWith('ERROR:')) {
    const [, code, ...message] = value.split(':')
    throw new TallyError(Number(code) || CLIENT_STATUS.CLIENT_ERROR, message.join(':'))
  }
  const bytes = Buffer.from(value, 'base64')
  const r = reader.reset(bytes)
  const count = r.array()
  const next = Number(r.int())
  const page: StoredRecord[] = []
  for (let i = 1; i < count; i++) {
    r.array()
    const digest = Buffer.from(r.bin(false))
    const set = r.str()
    const key = r.value() as UserKey | null
    const gen = Number(r.int())
    const voidMs = Number(r.int())
    page.push({ digest, set, key, gen, voidMs, bins: r.value() as unknown[] })
  }
  r.finish()
  return { next, records: page }
}

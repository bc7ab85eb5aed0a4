// Where `tally backup` reads its records: a scan of the namespace or set (client.scan, PROTOCOL.md §4.11), with
// values exactly as stored, turned into the records a backup file holds.
import type { Client } from '../../client/client.js'
import type { StoredRecord } from '../../client/records.js'

/** Records handed to the backup file at a time. */
const PAGE_RECORDS = 500

/**
 * The records of set `set` (null: all) in namespace `ns`, as stored, a page at a time. Records written or removed
 * while it runs may or may not be seen; each one seen is seen whole. Expiry is the remaining time read from the
 * scan (whole seconds, rounded up) from now.
 */
export async function* records(client: Client, ns: string, set: string | null): AsyncGenerator<StoredRecord[]> {
  let page: StoredRecord[] = []
  for await (const record of client.scan(ns, set, { exactValues: true })) {
    const bins: unknown[] = []
    for (const [name, value] of Object.entries(record.bins)) bins.push(name, value)
    const voidMs = record.ttl < 0 ? 0 : Date.now() + record.ttl * 1000
    page.push({ digest: record.key.digest, set: record.key.set ?? '', key: record.key.key, gen: record.gen, voidMs, bins })
    if (page.length >= PAGE_RECORDS) {
      yield page
      page = []
    }
  }
  if (page.length > 0) yield page
}

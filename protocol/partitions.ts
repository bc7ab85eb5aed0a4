// Partitions of a namespace, exactly as Aerospike splits them (PROTOCOL.md §2): the client and every node work out
// a record's partition from its digest alone, so they agree on it without asking anyone. Lists of partitions (for
// scans) are checked here, whether they come as an array or as text.
import { TallyError } from './errors.js'
import { STATUS } from './status.js'

/** Partitions per namespace: Aerospike's fixed 4096 (its clients compile the number in). */
export const PARTITIONS = 4096

/**
 * The partition of a record: the digest's first two bytes as a little-endian uint16, masked to 12 bits. This is
 * Aerospike's `as_partition_getid` (C client `as_partition.c`: `*(uint16_t*)digest & (n_partitions - 1)` on a
 * little-endian host), so Aerospike's clients and Tally's put a key in the same partition.
 */
export function partitionOf(digest: Uint8Array, offset = 0): number {
  return (digest[offset]! | (digest[offset + 1]! << 8)) & (PARTITIONS - 1)
}

/**
 * `ids` checked as a list of partitions: integers from 0 to 4095, none twice (so 4096 at most). Throws a TallyError
 * with `code` (status 4 unless told) naming the first that is not, after `where` ('' for nothing).
 */
export function checkPartitions(ids: readonly unknown[], where: string, code: number = STATUS.PARAMETER): number[] {
  if (ids.length > PARTITIONS) throw refused(where, code, `${ids.length} partitions listed, more than the ${PARTITIONS} there are`)
  const seen = new Uint8Array(PARTITIONS)
  for (const p of ids) {
    if (!(typeof p === 'number' && Number.isInteger(p) && p >= 0 && p < PARTITIONS))
      throw refused(where, code, `partition ${shown(p)} is not an integer from 0 to ${PARTITIONS - 1}`)
    if (seen[p]++ !== 0) throw refused(where, code, `partition ${p} is listed twice`)
  }
  return ids as number[]
}

/**
 * The partitions of a list such as `0-4095` or `1,5,7-9`: ids and FIRST-LAST ranges (both ends included),
 * comma-separated, in that order, none twice. Throws a TallyError with `code` (status 4 unless told) naming the
 * part that is wrong, after `where` ('' for nothing).
 */
export function parsePartitions(text: string, where: string, code: number = STATUS.PARAMETER): number[] {
  const ids: number[] = []
  const seen = new Uint8Array(PARTITIONS) // so that the list never holds more than 4096
  for (const part of text.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim())
    if (match === null) throw refused(where, code, `'${shown(part)}' is neither a partition id nor a range FIRST-LAST`)
    const first = Number(match[1])
    const last = match[2] === undefined ? first : Number(match[2])
    if (first > last) throw refused(where, code, `the range ${part.trim()} ends before it starts`)
    if (last >= PARTITIONS) throw refused(where, code, `${part.trim()} goes past partition ${PARTITIONS - 1}`)
    for (let p = first; p <= last; p++) {
      if (seen[p]++ !== 0) throw refused(where, code, `partition ${p} is listed twice`)
      ids.push(p)
    }
  }
  return ids
}

// `where` names the list in the message ('' for none).
function refused(where: string, code: number, problem: string): TallyError {
  return new TallyError(code, where === '' ? problem : `${where}: ${problem}`)
}

// A value as it goes into a message: short, whatever it was.
function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : typeof value === 'bigint' ? `${value}` : JSON.stringify(value) ?? String(value)
  return text.length > 32 ? `${text.slice(0, 32)}…` : text
}

// Who owns each partition: rendezvous (highest random weight) hashing over the roster. Each partition goes to the
// node with the highest score for it, so adding a node moves only the partitions it now wins (about 1/N of them),
// and every node computing it from the same roster gets the same map.
import { createHash } from 'node:crypto'
import { PARTITIONS } from '../../protocol/partitions.js'

/** The owner of every partition, as an index into `roster` (which must be sorted and free of duplicates). */
export function rendezvousOwners(roster: readonly string[]): Uint8Array {
  const seeds = roster.map((id) => createHash('sha256').update(id).digest().readUInt32BE(0))
  const owners = new Uint8Array(PARTITIONS)
  for (let p = 0; p < PARTITIONS; p++) {
    let best = -1
    let bestScore = -1
    for (let n = 0; n < seeds.length; n++) {
      const score = mix(seeds[n]! ^ Math.imul(p + 1, 0x9e3779b1))
      if (score > bestScore) {
        bestScore = score
        best = n
      }
    }
    owners[p] = best
  }
  return owners
}

// murmur3's finaliser: every input bit flips about half the output bits.
function mix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

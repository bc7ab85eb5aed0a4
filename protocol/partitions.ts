// Partitions of a namespace, exactly as Aerospike splits them (PROTOCOL.md §2): the client and every node work out
// a record's partition from its digest alone, so they agree on it without asking anyone.

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

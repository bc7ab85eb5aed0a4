// A single-record transaction: the record's bins as a private working copy, and the rules of each bin operation
// (write, read, increment, append/prepend, touch, delete) applied to it. Nothing is visible until the namespace
// commits the transaction, so an op that fails leaves the record exactly as it was.
import { TallyError } from '../../protocol/errors.js'
import { ARRAY_BYTES } from '../../protocol/memory-cost.js'
import type { RecordAddress, RecordPolicy, RecordResult } from '../../protocol/messages.js'
import { STATUS } from '../../protocol/status.js'
import { Double } from '../../protocol/types.js'
import { binValue, checkBinName, deleteBin, setBin, type BinList } from './bins.js'
import { addInt, binBytes, concatBytes, concatString, kindOf, normalizeInt, toStoredValue, type StoredValue } from './values.js'

const EMPTY: BinList = []

/** An increment offset or initial value: an int64 or a Double. */
type Numeric = number | bigint | Double

/**
 * A transaction on one record. Once committed (or read with `Namespace.readMeta`) it carries the record's `gen` and
 * `ttl`, and an op may set its `payload`: a transaction is its own result, with nothing more to allocate.
 */
export class RecordTxn implements RecordResult {
  /** The record's id, or -1 when the transaction started on a missing record. */
  readonly id: number
  readonly address: RecordAddress
  readonly policy: RecordPolicy
  readonly nowMs: number
  /** True once an op has changed the record (or touched it). */
  changed = false
  /** True once an op has added a bin the record did not have (the namespace then notes its name). */
  addedBin = false
  gen = 0
  ttl = 0
  payload: unknown = undefined
  #results: unknown[] | undefined
  #bins: BinList
  #owned: boolean
  #bytes: number

  /** `owned`: the bins array is this transaction's to change (a fresh copy), not the stored one. */
  constructor(id: number, address: RecordAddress, policy: RecordPolicy, nowMs: number, bins: BinList | undefined, bytes: number, owned: boolean) {
    this.id = id
    this.address = address
    this.policy = policy
    this.nowMs = nowMs
    this.#bins = bins ?? EMPTY
    this.#owned = owned && bins !== undefined
    this.#bytes = bins === undefined ? ARRAY_BYTES : bytes
  }

  /** The bins as they stand in this transaction. Not to be changed by the caller. */
  get bins(): BinList {
    return this.#bins
  }

  /** Values of the read ops so far, in order; null for a missing bin. */
  get results(): unknown[] {
    return (this.#results ??= [])
  }

  /** What the bins take in memory as they stand (bins.ts `binsBytes`). */
  get bytes(): number {
    return this.#bytes
  }

  /** Starts from no bins at all: the replace exists policies drop the old bins. */
  dropAllBins(): void {
    this.#bins = []
    this.#owned = true
    this.#bytes = ARRAY_BYTES
  }

  /** The value of a bin, also recorded as a read result. */
  read(bin: string): StoredValue | undefined {
    checkBinName(bin)
    const value = binValue(this.#bins, bin)
    ;(this.#results ??= []).push(value ?? null)
    return value
  }

  /** Sets a bin; `null` (or undefined) deletes it. */
  write(bin: string, value: unknown): void {
    checkBinName(bin)
    if (value === null || value === undefined) {
      const old = binValue(this.#bins, bin)
      if (old !== undefined) {
        deleteBin(this.#own(), bin)
        this.#bytes -= binBytes(bin, old)
      } else if (this.policy.deleteMissingOk) {
        return // nothing to delete: no change, no new generation, and no status 2 on a missing record
      }
    } else {
      this.#set(bin, toStoredValue(value, bin))
    }
    this.changed = true
  }

  /**
   * Adds `offset` to a numeric bin and returns the new value. A missing bin is created with `initial` if given
   * (the offset is not added), else with `offset`. Integer bins take integer offsets and double bins double
   * offsets (status 12 otherwise); an int64 overflow is status 26 and changes nothing.
   */
  increment(bin: string, offset: unknown, initial: unknown): StoredValue {
    checkBinName(bin)
    const delta = toNumeric(offset, 'offset', bin)
    const current = binValue(this.#bins, bin)
    let next: StoredValue
    if (current === undefined) {
      next = initial === undefined ? delta : initialFor(delta, toNumeric(initial, 'initial value', bin), bin)
    } else if (typeof current === 'number' || typeof current === 'bigint') {
      if (delta instanceof Double) throw incompatible(bin, 'an integer bin takes integer offsets')
      const sum = addInt(current, delta)
      if (sum === null)
        throw new TallyError(STATUS.OP_NOT_APPLICABLE, `bin '${bin}': ${current} + ${delta} overflows int64; the record is unchanged`)
      next = sum
    } else if (current instanceof Double) {
      if (!(delta instanceof Double)) throw incompatible(bin, 'a double bin takes double offsets (send a Double for whole numbers)')
      next = new Double(current.value + delta.value)
    } else {
      throw incompatible(bin, 'only integer and double bins can be incremented')
    }
    this.#set(bin, next)
    this.changed = true
    return next
  }

  /** Appends (or prepends) a string to a string bin, or bytes to a bytes bin. A missing bin is created. */
  append(bin: string, value: unknown, prepend: boolean): void {
    checkBinName(bin)
    const isBytes = value instanceof Uint8Array
    if (typeof value !== 'string' && !isBytes)
      throw new TallyError(STATUS.PARAMETER, `bin '${bin}': append and prepend take a string or bytes`)
    const current = binValue(this.#bins, bin)
    let next: StoredValue = value
    if (current !== undefined) {
      if (isBytes && current instanceof Uint8Array) {
        next = prepend ? concatBytes(value, current) : concatBytes(current, value)
      } else if (typeof value === 'string' && typeof current === 'string') {
        next = prepend ? concatString(value, current) : concatString(current, value)
      } else {
        throw incompatible(bin, `cannot ${prepend ? 'prepend' : 'append'} ${isBytes ? 'bytes' : 'a string'} to a ${kindName(current)} bin`)
      }
    }
    this.#set(bin, next)
    this.changed = true
  }

  /** Marks the record as written, so that its generation and TTL are renewed. */
  touch(): void {
    this.changed = true
  }

  /** Deletes every bin; if no later op adds one, the record is deleted. */
  deleteRecord(): void {
    this.dropAllBins()
    this.changed = true
  }

  #set(bin: string, value: StoredValue): void {
    const old = binValue(this.#bins, bin)
    this.#bytes += binBytes(bin, value) - (old === undefined ? 0 : binBytes(bin, old))
    if (old === undefined) this.addedBin = true
    setBin(this.#own(), bin, value)
  }

  #own(): BinList {
    if (!this.#owned) {
      this.#bins = this.#bins.slice()
      this.#owned = true
    }
    return this.#bins
  }
}

function toNumeric(value: unknown, what: string, bin: string): Numeric {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : new Double(value)
  if (value instanceof Double) return value
  if (typeof value === 'bigint') {
    const int = normalizeInt(value)
    if (int !== null) return int
  }
  throw new TallyError(STATUS.PARAMETER, `bin '${bin}': the ${what} must be an int64 or a double`)
}

/** The initial value takes the offset's type: an integer initial value for a double offset becomes a double. */
function initialFor(delta: Numeric, initial: Numeric, bin: string): Numeric {
  if (delta instanceof Double) return initial instanceof Double ? initial : new Double(Number(initial))
  if (initial instanceof Double) throw new TallyError(STATUS.PARAMETER, `bin '${bin}': an integer offset needs an integer initial value`)
  return initial
}

function incompatible(bin: string, why: string): TallyError {
  return new TallyError(STATUS.INCOMPATIBLE_TYPE, `bin '${bin}': ${why}`)
}

function kindName(value: StoredValue): string {
  return ['', 'integer', 'double', 'string', 'bytes', 'bool', 'list', 'map'][kindOf(value)]!
}


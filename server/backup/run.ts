// `tally backup` and `tally restore` at work: records from the server into a backup file, and back. A restore reads
// and checks the whole file before it writes anything, so a damaged file changes nothing.
import fs from 'node:fs'
import type { Client } from '../../client/client.js'
import type { StoredRecord } from '../../client/records.js'
import { TallyError } from '../../protocol/errors.js'
import { RESTORE_OUTCOME, type RestorePolicyName } from '../../protocol/messages.js'
import { BackupWriter, backupBlocks, checkBackup, type BackupSummary } from './format.js'
import { Progress } from './progress.js'
import { records } from './records.js'

/** Records a RESTORE request carries (the server takes up to maxBatchKeys, 5000 by default). */
const RESTORE_BATCH = 500
/** RESTORE requests sent ahead of their answers: enough to keep the connection busy, few enough to bound memory. */
const RESTORE_IN_FLIGHT = 4

/** What a backup wrote. */
export interface BackupResult {
  records: number
  bytes: number
  seconds: number
}

/**
 * Backs up set `set` (null: all) of namespace `ns` into `file`. It is written under a temporary name and renamed
 * once complete: a failure leaves no file behind, and an earlier backup of the same name stays until then.
 */
export async function backup(client: Client, ns: string, set: string | null, file: string): Promise<BackupResult> {
  const started = performance.now()
  const progress = new Progress('backup', await expectedRecords(client, ns, set))
  const temporary = `${file}.tmp`
  const writer = new BackupWriter(temporary, { namespace: ns, set, createdMs: Date.now() })
  try {
    for await (const page of records(client, ns, set)) {
      for (const record of page) writer.add(record)
      progress.add(page.length)
    }
    writer.finish()
  } catch (err) {
    writer.abandon()
    fs.rmSync(temporary, { force: true })
    throw err
  }
  fs.renameSync(temporary, file)
  progress.finish()
  return { records: writer.records, bytes: fs.statSync(file).size, seconds: (performance.now() - started) / 1000 }
}

/** What a restore did with the records of its file. */
export interface RestoreResult {
  file: BackupSummary
  written: number
  kept: number
  expired: number
  seconds: number
}

/** Restores `file` under `policy`. Throws BackupFileError, having written nothing, if the file is damaged. */
export async function restore(client: Client, file: string, policy: RestorePolicyName): Promise<RestoreResult> {
  const started = performance.now()
  const summary = checkBackup(file) // the whole file is checked before anything is written
  const namespaces = (await client.info('namespaces')).namespaces!.split(';')
  if (!namespaces.includes(summary.namespace)) throw new Error(`the server has no namespace '${summary.namespace}', which ${file} holds`)
  const progress = new Progress('restore', summary.records)
  const counts = [0, 0, 0] // by RESTORE_OUTCOME
  // Up to RESTORE_IN_FLIGHT requests of RESTORE_BATCH records each are sent ahead of their answers; the first
  // record refused stops the restore (those written stay: see docs/backup.md).
  let inFlight = 0
  let failure: unknown
  let slot: (() => void) | undefined
  const answered = (): void => {
    inFlight--
    slot?.()
  }
  const send = async (batch: StoredRecord[]): Promise<void> => {
    while (inFlight >= RESTORE_IN_FLIGHT) await new Promise<void>((resolve) => (slot = resolve))
    if (failure !== undefined) throw failure
    inFlight++
    client.restore(summary.namespace, batch, policy).then(
      (outcomes) => {
        for (const outcome of outcomes) {
          if (outcome instanceof TallyError) failure ??= outcome
          else counts[outcome]!++
        }
        progress.add(batch.length)
        answered()
      },
      (err: unknown) => {
        failure ??= err
        answered()
      },
    )
  }
  for (const block of backupBlocks(file)) for (let i = 0; i < block.length; i += RESTORE_BATCH) await send(block.slice(i, i + RESTORE_BATCH))
  while (inFlight > 0) await new Promise<void>((resolve) => (slot = resolve))
  if (failure !== undefined) throw failure
  progress.finish()
  return { file: summary, written: counts[RESTORE_OUTCOME.WRITTEN]!, kept: counts[RESTORE_OUTCOME.KEPT]!, expired: counts[RESTORE_OUTCOME.EXPIRED]!, seconds: (performance.now() - started) / 1000 }
}

// Records the server holds now, for done %: of the set, or of the namespace; undefined if it cannot say.
async function expectedRecords(client: Client, ns: string, set: string | null): Promise<number | undefined> {
  const command = set === null ? `namespace/${ns}` : `sets/${ns}/${set}`
  const value = (await client.info(command))[command]!
  const objects = /(?:^|;)objects=(\d+)/.exec(value)?.[1]
  return objects === undefined ? undefined : Number(objects)
}

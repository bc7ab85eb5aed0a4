// `tally check --data-dir D` verifies every entry of every snapshot and log segment offline and says whether the
// server will start (like redis-check-aof); `tally repair --data-dir D` keeps every entry that verifies, moves the
// damaged bytes and the old files aside, and says exactly what was dropped. Repair never runs by itself.
import type { Command } from 'commander'
import fs from 'node:fs'
import { walkDataDir, type DataDirWalk, type FileSummary } from '../persist/data-dir-reader.js'
import { describeRepair, repairDataDir } from '../persist/repair.js'

/** Exit codes of `tally check`. */
export const CHECK_EXIT = { STARTS: 0, DAMAGED: 1 } as const

export function addCheckCommands(program: Command): void {
  program
    .command('check')
    .description('verify a data directory offline: every entry of every snapshot and log segment')
    .requiredOption('--data-dir <dir>', 'the data directory to check')
    .action((flags: { dataDir: string }) => {
      requireDirectory(flags.dataDir)
      const walk = walkDataDir(flags.dataDir)
      process.stdout.write(describeCheck(flags.dataDir, walk))
      process.exitCode = walk.problems.length === 0 ? CHECK_EXIT.STARTS : CHECK_EXIT.DAMAGED
    })
  program
    .command('repair')
    .description('keep every entry that verifies, move the damaged bytes and old files aside, and report what was dropped')
    .requiredOption('--data-dir <dir>', 'the data directory to repair (no server may be using it)')
    .action((flags: { dataDir: string }) => {
      requireDirectory(flags.dataDir)
      const report = repairDataDir(flags.dataDir)
      if (!report.repaired) {
        process.stdout.write(`${flags.dataDir}: nothing to repair; the server starts on it as it is (see 'tally check')\n`)
        return
      }
      const text = describeRepair(flags.dataDir, report)
      const summary = text.split('\nrecords affected:')[0]!
      process.stdout.write(`${summary.trimEnd()}\nfull report, with every record affected: ${report.reportFile}\n`)
    })
}

function requireDirectory(dir: string): void {
  if (!fs.existsSync(dir)) throw new Error(`${dir} does not exist`)
  if (!fs.statSync(dir).isDirectory()) throw new Error(`${dir} is not a directory`)
}

/** The report of `tally check`: one line per file, then what the server will do. */
export function describeCheck(dir: string, walk: DataDirWalk): string {
  const lines = [`checked ${dir}`]
  for (const file of walk.files) lines.push(`  ${describeFile(file)}`)
  if (walk.files.length === 0) lines.push('  no snapshots or log segments: a new, empty data directory')
  for (const file of walk.temporary) lines.push(`  ${file}: an unfinished snapshot; the server removes it at start`)
  if (walk.unstarted !== undefined) lines.push(`  ${walk.unstarted.file}: no whole header, nothing after it (a segment being started at a crash); the server removes it at start`)
  if (walk.tornTail !== undefined) {
    const { file, offset, size, problem } = walk.tornTail
    lines.push(`  ${file}: a torn tail at byte ${offset} (${problem}); the server cuts off its ${size - offset} bytes at start`)
  }
  if (walk.problems.length === 0) {
    lines.push('result: the server starts on this directory')
  } else {
    lines.push('problems (each stops the server from starting):', ...walk.problems.map((p) => `  ${p}`))
    lines.push(`result: damaged. 'tally repair --data-dir ${dir}' keeps every entry that verifies and reports what it drops; or restore from a backup`)
  }
  return `${lines.join('\n')}\n`
}

function describeFile(f: FileSummary): string {
  const name = f.file
  const base = `${name}: ${f.size} bytes, ${f.entries} entries, ${f.changes} record changes`
  const counted = f.uncounted > 0 ? ` (${f.uncounted} bytes after byte ${f.limit}: a failed append, never acknowledged)` : ''
  if (f.damages.length === 0) return `${base}${counted}, ok`
  const damage = f.damages.map((d) => `bytes ${d.offset}-${d.resumeAt}: ${d.problem}${d.torn ? ' (torn tail)' : ''}`).join('; ')
  return `${base}${counted}, DAMAGED ${damage}`
}

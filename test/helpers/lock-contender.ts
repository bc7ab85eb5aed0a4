// A process that races for data-directory locks: for trial i it waits until `startAt + i * gapMs`, then tries to
// lock `dirs[i]`, and keeps every lock it wins until its stdin closes. It prints one JSON line of outcomes.
//   node lock-contender.js '{"dirs": [...], "startAt": <epoch ms>, "gapMs": 40}'
import { lockDataDir } from '../../server/persist/lock.js'

const plan = JSON.parse(process.argv[2]!) as { dirs: string[]; startAt: number; gapMs: number }
const outcomes: { won: boolean; atMs: number; error?: string }[] = []
const held: unknown[] = []
for (let i = 0; i < plan.dirs.length; i++) {
  const due = plan.startAt + i * plan.gapMs
  if (due - Date.now() > 3) await new Promise((r) => setTimeout(r, due - Date.now() - 3))
  while (Date.now() < due); // the last few ms in a spin, so that contenders start together
  const atMs = Date.now()
  try {
    held.push(lockDataDir(plan.dirs[i]!))
    outcomes.push({ won: true, atMs })
  } catch (err) {
    const message = (err as Error).message
    outcomes.push({ won: false, atMs, ...(/is in use by/.test(message) ? {} : { error: message }) })
  }
}
process.stdout.write(`${JSON.stringify(outcomes)}\n`)
process.stdin.resume()
process.stdin.on('end', () => process.exit(0))

// In-process A/B timing for the bench scripts: variants run in turn, in a rotating order, and each is reported as
// its median time per operation and its ratio to the first (the baseline). Time is this process's CPU time, not
// the clock's, so that the time slices other processes take on a shared machine do not count. Ratios from one run
// are what count.

/** One way of doing the thing measured: `run(n)` does it n times and returns something derived from the results. */
export interface Variant {
  name: string
  run: (n: number) => number
}

/** A variant's median CPU time per operation over the repetitions, and that median over the first variant's. */
export interface VariantResult {
  name: string
  nsPerOp: number
  ratio: number
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1]!

/** `--name value` from the command line (`--name` alone: 'true'), or `fallback`. */
export function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`)
  if (at < 0) return fallback
  const next = process.argv[at + 1]
  return next === undefined || next.startsWith('--') ? 'true' : next
}

let kept = 0

/** Times each variant `reps` times at `n` operations, after a warm-up, rotating which goes first. */
export function abRatios(variants: Variant[], reps: number, n: number): VariantResult[] {
  for (let i = 0; i < 3; i++) for (const v of variants) kept ^= v.run(Math.min(n, 20_000)) // let the JIT settle
  const times = variants.map(() => [] as number[])
  for (let rep = 0; rep < reps; rep++) {
    for (let k = 0; k < variants.length; k++) {
      const at = (rep + k) % variants.length
      const started = process.cpuUsage()
      kept ^= variants[at]!.run(n)
      const used = process.cpuUsage(started)
      times[at]!.push(((used.user + used.system) * 1000) / n)
    }
  }
  const base = median(times[0]!)
  return variants.map((v, i) => ({ name: v.name, nsPerOp: median(times[i]!), ratio: median(times[i]!) / base }))
}

/** Something computed from every run, so that no run can be optimised away. */
export function keptValue(): number {
  return kept
}

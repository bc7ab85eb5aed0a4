// `tally bench --report FILE.html` against a real server: the page stands alone (nothing fetched from anywhere), and
// opened in headless Chromium it draws its charts: a line per op type with a point per second, p50/p99/max, a
// histogram per op type, and the errors by status.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { runTool } from '../helpers/cli.js'
import { dumpDom, findChromium } from '../helpers/chromium.js'
import { testServer } from '../helpers/server.js'

t.test('the report page draws its charts in a browser', async (t) => {
  const server = await testServer(t)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-report-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'run.html')
  // Reads of keys not yet written fail with NOT_FOUND: errors to show beside the successes.
  const args = ['bench', '--port', String(server.address.port), '--set', 'report', '--keys', '200', '--workload', 'ru,50', '--duration', '2.5']
  const run = await runTool([...args, '--connections', '2', '--depth', '4', '--timeout-ms', '30000', '--report', file, '--json'])
  t.equal(run.code, 0, run.stderr)
  t.match(run.stderr, `report: ${file}`)
  const result = JSON.parse(run.stdout.trim().split('\n').pop()!)
  for (const type of ['read', 'update']) t.type(result.byType[type].latencyUs.p99, 'number', `${type}: its own latency in the JSON`)
  // One line per type, the busier first: a random mix of 50% reads puts either first.
  for (const type of ['read', 'update']) t.match(run.stderr, new RegExp(`\\n {2}${type} +[\\d,]+ ops/s {2}p50 .* max `), `${type}: and in the summary`)

  const html = fs.readFileSync(file, 'utf8')
  t.notMatch(html, /<(link|img|iframe)\b|\bsrc=|@import|url\(/i, 'no resource loaded from anywhere')
  t.same(html.match(/https?:\/\/[^\s"'<]+/g), ['http://www.w3.org/2000/svg'], 'no address but the SVG namespace')
  const data = JSON.parse(/<script type="application\/json" id="data">(.*?)<\/script>/s.exec(html)![1]!)
  const seconds = data.timeline.length
  t.ok(seconds >= 2, `${seconds} seconds in the timeline`)

  const chromium = findChromium()
  const skip = chromium === undefined && 'no chromium binary (Debian: apt-get install chromium; .ci/run installs it when run as root)'
  t.test('opened in headless Chromium', { skip }, async (t) => {
    const dom = await dumpDom(chromium!, file)
    t.notMatch(dom, /data-error=/, 'the script ran without an error')
    t.match(dom, /<body[^>]* data-charts="4"/, 'throughput, latency and two histograms drawn')
    const paths = [...dom.matchAll(/<path d="([^"]*)"[^>]*data-series="([^"]*)" data-points="(\d+)"/g)].map(([, d, series, points]) => ({ d: d!, series: series!, points: Number(points) }))
    const drawn = (series: string) => paths.filter((p) => p.series === series)
    for (const series of ['read', 'update']) {
      const [line] = drawn(series)
      t.equal(line?.points, seconds, `${series}: a point per second`)
      t.equal(line?.d.match(/[ML]-?\d+(\.\d+)?,-?\d+(\.\d+)?/g)?.length, seconds, `${series}: a path through them`)
    }
    t.equal(drawn('error NOT_FOUND (2)').length, 1, 'errors per second beside them')
    for (const series of ['p50', 'p99', 'max']) t.ok(drawn(series)[0]!.points >= 1, `latency ${series} drawn`)
    for (const type of ['read', 'update']) {
      const chart = new RegExp(`<svg[^>]*data-chart="histogram-${type}"[^>]*>(.*?)</svg>`, 's').exec(dom)?.[1] ?? ''
      const bars = [...chart.matchAll(/<rect [^>]*height="([\d.]+)"/g)].filter(([, h]) => Number(h) > 0)
      t.ok(bars.length >= 1, `${type}: ${bars.length} histogram bars`)
    }
    t.match(dom, /<td>NOT_FOUND<\/td><td>2<\/td>/, 'the errors table')
  })
})

t.test('a report that cannot be written is refused before the run', async (t) => {
  const run = await runTool(['bench', '--port', '1', '--report', '/nonexistent-dir/run.html'])
  t.equal(run.code, 1)
  t.match(run.stderr, /cannot write the report \/nonexistent-dir\/run\.html: \/nonexistent-dir: no such file or directory/)
})

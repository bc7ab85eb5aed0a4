// The script of the report page, run by the browser: it reads the run's data from the page and draws the tables and
// the charts as SVG. It is put in the page as its source text (`drawReport.toString()`), so it uses nothing from
// outside its own body; the declarations below only give it types. On success the body says how many charts it
// drew (`data-charts`); on failure, the page shows why (`data-error`).

/** The little of the DOM the script uses. */
interface Node {
  setAttribute(name: string, value: string): void
  append(...children: (Node | string)[]): void
  textContent: string | null
  className: string
  dataset: Record<string, string>
}
declare const document: {
  createElement(tag: string): Node
  createElementNS(ns: string, tag: string): Node
  getElementById(id: string): Node | null
  body: Node
}

export function drawReport(): void {
  type Point = [number, number]
  type Series = { name: string; points: Point[] }
  type Data = {
    title: string
    generated: string
    settings: [string, string][]
    result: {
      ops: number
      totalOps: number
      seconds: number
      opsPerSec: number
      latencyUs: Record<string, number>
      errors: Record<string, number>
      byType: Record<string, { ops: number; opsPerSec: number; latencyUs: Record<string, number>; errors: Record<string, number> }>
    }
    statusNames: Record<string, string>
    timeline: { t: number; ops: Record<string, number>; errors: Record<string, number>; p50Us: number; p99Us: number; maxUs: number }[]
    histograms: Record<string, [number, number, number][]>
  }
  const SVG = 'http://www.w3.org/2000/svg'
  const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2']
  const W = 860
  const H = 240
  const M = { left: 64, right: 16, top: 12, bottom: 36 }

  const el = (tag: string, text?: string, className?: string): Node => {
    const node = document.createElement(tag)
    if (text !== undefined) node.textContent = text
    if (className !== undefined) node.className = className
    return node
  }
  const svgEl = (tag: string, attrs: Record<string, string | number>, text?: string): Node => {
    const node = document.createElementNS(SVG, tag)
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v))
    if (text !== undefined) node.textContent = text
    return node
  }
  const us = (v: number): string => (v >= 1e6 ? `${+(v / 1e6).toPrecision(3)} s` : v >= 1000 ? `${+(v / 1000).toPrecision(3)} ms` : `${Math.round(v)} µs`)
  const num = (v: number): string => Math.round(v).toLocaleString('en-US')
  const table = (head: string[], rows: string[][]): Node => {
    const t = el('table')
    const tr = el('tr')
    for (const h of head) tr.append(el('th', h))
    t.append(tr)
    for (const row of rows) {
      const r = el('tr')
      for (const cell of row) r.append(el('td', cell))
      t.append(r)
    }
    return t
  }
  // Ticks of a linear axis: about five round steps from 0 to max.
  const linearTicks = (max: number): number[] => {
    const step = 10 ** Math.floor(Math.log10(max / 5 || 1))
    const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => max / s <= 6) ?? step * 10
    return Array.from({ length: Math.floor(max / nice) + 1 }, (_, i) => i * nice)
  }
  const powerTicks = (lo: number, hi: number): number[] => {
    const out: number[] = []
    for (let p = Math.floor(Math.log10(lo)); p <= Math.ceil(Math.log10(hi)); p++) out.push(10 ** p)
    return out
  }

  /** A chart of lines, one per series; `log`: a logarithmic y axis. */
  const lineChart = (name: string, series: Series[], format: (v: number) => string, log: boolean): Node => {
    const svg = svgEl('svg', { class: 'chart', 'data-chart': name, viewBox: `0 0 ${W} ${H}`, width: W, height: H })
    const all = series.flatMap((s) => s.points)
    const xMax = Math.max(1, ...all.map((p) => p[0]))
    const xMin = Math.min(xMax - 1, ...all.map((p) => p[0]))
    const ys = all.map((p) => p[1]).filter((y) => !log || y > 0)
    const yMax = Math.max(log ? 10 : 1, ...ys) * (log ? 1.5 : 1.1)
    const yMin = log ? Math.max(1, Math.min(...ys, yMax) / 1.5) : 0
    const x = (v: number): number => M.left + ((v - xMin) / (xMax - xMin || 1)) * (W - M.left - M.right)
    const y = (v: number): number => {
      const f = log ? (Math.log10(Math.max(v, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin)) : v / yMax
      return H - M.bottom - f * (H - M.top - M.bottom)
    }
    const yTicks = (log ? powerTicks(yMin, yMax) : linearTicks(yMax)).filter((v) => v >= yMin && v <= yMax)
    for (const v of yTicks) {
      svg.append(svgEl('line', { x1: M.left, x2: W - M.right, y1: y(v), y2: y(v), class: 'grid' }))
      svg.append(svgEl('text', { x: M.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, format(v)))
    }
    for (const v of linearTicks(xMax - xMin).map((d) => xMin + d)) {
      svg.append(svgEl('text', { x: x(v), y: H - M.bottom + 16, 'text-anchor': 'middle' }, `${+v.toFixed(1)} s`))
    }
    series.forEach((s, i) => {
      if (s.points.length === 0) return
      const d = s.points.map(([px, py], k) => `${k === 0 ? 'M' : 'L'}${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ')
      svg.append(svgEl('path', { d, class: 'line', stroke: COLORS[i % COLORS.length]!, 'data-series': s.name, 'data-points': s.points.length }))
      svg.append(svgEl('text', { x: M.left + 10 + i * 120, y: H - 6, fill: COLORS[i % COLORS.length]!, class: 'legend' }, s.name))
    })
    return svg
  }

  /** A latency histogram: one bar per bucket, on a logarithmic latency axis. */
  const histogramChart = (type: string, bars: [number, number, number][]): Node => {
    const svg = svgEl('svg', { class: 'chart', 'data-chart': `histogram-${type}`, viewBox: `0 0 ${W} ${H}`, width: W, height: H })
    const lo = Math.max(1, Math.min(...bars.map((b) => b[0])))
    const hi = Math.max(lo * 10, ...bars.map((b) => b[1]))
    const top = Math.max(1, ...bars.map((b) => b[2]))
    const x = (v: number): number => M.left + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (W - M.left - M.right)
    const y = (v: number): number => H - M.bottom - (v / top) * (H - M.top - M.bottom)
    for (const v of linearTicks(top)) {
      svg.append(svgEl('line', { x1: M.left, x2: W - M.right, y1: y(v), y2: y(v), class: 'grid' }))
      svg.append(svgEl('text', { x: M.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, num(v)))
    }
    for (const v of powerTicks(lo, hi).filter((v) => v >= lo && v <= hi)) {
      svg.append(svgEl('text', { x: x(v), y: H - M.bottom + 16, 'text-anchor': 'middle' }, us(v)))
    }
    for (const [low, high, count] of bars) {
      const left = x(low)
      svg.append(svgEl('rect', { x: left, y: y(count), width: Math.max(1, x(high) - left - 1), height: H - M.bottom - y(count), class: 'bar' }))
    }
    return svg
  }

  const section = (title: string, ...content: Node[]): void => {
    const s = el('section')
    s.append(el('h2', title), ...content)
    document.body.append(s)
  }

  try {
    const data = JSON.parse(document.getElementById('data')!.textContent!) as Data
    const { result, timeline } = data
    document.body.append(el('h1', data.title), el('p', `generated ${data.generated}`, 'muted'))
    section('Settings', table(['setting', 'value'], data.settings))
    const types = Object.keys(result.byType)
    const latencyRow = (l: Record<string, number>): string[] => ['p50', 'p90', 'p99', 'p999', 'max'].map((p) => us(l[p] ?? 0))
    section(
      'Summary',
      el('p', `${num(result.ops)} requests succeeded in ${result.seconds} s: ${num(result.opsPerSec)} ops/s (${num(result.totalOps)} completed in all, warm-up included)`),
      table(
        ['op type', 'ops', 'ops/s', 'p50', 'p90', 'p99', 'p99.9', 'max'],
        [
          ...types.map((type) => [type, num(result.byType[type]!.ops), num(result.byType[type]!.opsPerSec), ...latencyRow(result.byType[type]!.latencyUs)]),
          ['all', num(result.ops), num(result.opsPerSec), ...latencyRow(result.latencyUs)],
        ],
      ),
    )
    const errorSeries: Series[] = Object.keys(data.statusNames).map((code) => ({
      name: `${data.statusNames[code]} (${code})`,
      points: timeline.map((p): Point => [p.t, p.errors[code] ?? 0]),
    }))
    const throughput = types.map((type): Series => ({ name: type, points: timeline.map((p): Point => [p.t, p.ops[type] ?? 0]) }))
    section('Throughput per second', lineChart('throughput', [...throughput, ...errorSeries.map((s) => ({ ...s, name: `error ${s.name}` }))], num, false))
    const latencies = (['p50Us', 'p99Us', 'maxUs'] as const).map((k): Series => ({ name: k.slice(0, -2), points: timeline.filter((p) => p[k] > 0).map((p): Point => [p.t, p[k]]) }))
    section('Latency per second (all op types)', lineChart('latency', latencies, us, true))
    for (const type of types) section(`Latency histogram: ${type}`, histogramChart(type, data.histograms[type] ?? []))
    const codes = Object.keys(result.errors)
    section(
      'Errors by status',
      codes.length === 0
        ? el('p', 'none')
        : table(
            ['status', 'code', 'count', ...types],
            codes.map((code) => [data.statusNames[code] ?? code, code, num(result.errors[code]!), ...types.map((type) => num(result.byType[type]!.errors[code] ?? 0))]),
          ),
    )
    document.body.dataset.charts = String(2 + types.length)
  } catch (err) {
    document.body.dataset.error = String(err)
    document.body.append(el('pre', `the report could not be drawn: ${(err as Error).stack ?? String(err)}`, 'error'))
  }
}

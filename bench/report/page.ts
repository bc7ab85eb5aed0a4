// The report of a `tally bench` run as one self-contained HTML page: the run's data as JSON in the page, the script
// that draws it (draw.ts) inline, and the styles inline, so that it opens anywhere with no network.
import fs from 'node:fs'
import type { ReportData } from './data.js'
import { drawReport } from './draw.js'

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px auto; max-width: 900px; color: #222; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
table { border-collapse: collapse; } th, td { padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.muted { color: #777; } .error { color: #b00; white-space: pre-wrap; }
svg.chart text { font-size: 11px; fill: #555; } svg.chart text.legend { font-weight: 600; }
svg.chart .grid { stroke: #eee; } svg.chart .line { fill: none; stroke-width: 1.5; } svg.chart .bar { fill: #1f77b4; }
`

/** The page, as text. */
export function reportPage(data: ReportData): string {
  // `<` escaped, so that no value in the data can end the script element.
  const json = JSON.stringify(data).replace(/</g, '\\u003c')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(data.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<script type="application/json" id="data">${json}</script>
<noscript>This report draws its tables and charts with JavaScript.</noscript>
<script>(${drawReport.toString()})()</script>
</body>
</html>
`
}

/** Writes the page to `file`. */
export function writeReport(file: string, data: ReportData): void {
  fs.writeFileSync(file, reportPage(data))
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)
}

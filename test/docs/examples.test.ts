// The TypeScript examples in README.md and docs/*.md, type-checked under `strict` against the built package as an
// app imports it ('tally', 'tally/server'), so an example cannot drift from the API it shows.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import ts from 'typescript'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const DOCUMENTS = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)]

/**
 * What the examples take as already there, as a reader of the page would: a connected client, and keys. Each
 * example is a module of its own, so one that declares one of these names itself simply shadows it.
 */
const CONTEXT = `import type { Client, Key as KeyClass } from 'tally'
declare global {
  var client: Client
  var Key: typeof KeyClass
  var key: KeyClass
  var postKey: KeyClass
  var itemKey: KeyClass
}
export {}
`

interface Example {
  document: string
  /** The README line of the example's first line of code. */
  line: number
  code: string
}

function examplesOf(document: string): Example[] {
  const lines = fs.readFileSync(path.join(ROOT, document), 'utf8').split('\n')
  const examples: Example[] = []
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '```ts') continue
    const end = lines.findIndex((l, j) => j > i && l.trim() === '```')
    if (end < 0) throw new Error(`${document}:${i + 1}: a \`\`\`ts block that is never closed`)
    examples.push({ document, line: i + 2, code: lines.slice(i + 1, end).join('\n') + '\n' })
    i = end
  }
  return examples
}

const OPTIONS: ts.CompilerOptions = {
  strict: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2022.d.ts'],
  types: ['node'],
  skipLibCheck: true,
  noEmit: true,
}

/**
 * Type-checks the examples as files at the package root, where 'tally' resolves to this package through its own
 * `exports` (dist/ must be built). Returns each diagnostic as `document:line: message`.
 */
function check(examples: Example[]): string[] {
  const files = new Map<string, { text: string; example?: Example }>([[path.join(ROOT, 'examples-context.d.ts'), { text: CONTEXT }]])
  examples.forEach((example, i) => files.set(path.join(ROOT, `example-${i}.ts`), { text: example.code, example }))
  const host = ts.createCompilerHost(OPTIONS)
  const readFile = host.readFile.bind(host)
  const getSourceFile = host.getSourceFile.bind(host)
  host.fileExists = (name) => files.has(name) || ts.sys.fileExists(name)
  host.readFile = (name) => files.get(name)?.text ?? readFile(name)
  host.getSourceFile = (name, language, ...rest) => {
    const file = files.get(name)
    return file !== undefined ? ts.createSourceFile(name, file.text, language) : getSourceFile(name, language, ...rest)
  }
  const program = ts.createProgram([...files.keys()], OPTIONS, host)
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n')
    const example = d.file === undefined ? undefined : files.get(d.file.fileName)?.example
    if (d.file === undefined || d.start === undefined) return message
    const { line } = d.file.getLineAndCharacterOfPosition(d.start)
    return example === undefined ? `${d.file.fileName}:${line + 1}: ${message}` : `${example.document}:${example.line + line}: ${message}`
  })
}

/** Two examples that must fail, so that a check that finds nothing cannot pass unnoticed. */
const WRONG: Example[] = [
  { document: 'wrong.md', line: 10, code: "const item = await client.get(key)\nitem.bins.n = await client.increment(item, 'n', 1)\n" },
  { document: 'nullable.md', line: 20, code: 'const session = client.openSession()\nsession.countersFor(await session.load(key))\n' },
]

t.test('every TypeScript example in the README and docs type-checks under strict', async (t) => {
  const examples = DOCUMENTS.flatMap(examplesOf)
  t.ok(examples.filter((e) => e.document === 'README.md').length >= 3, `${examples.length} examples found`)
  // One program for all (the type-checking of the package and @types/node is most of the cost).
  const problems = check([...examples, ...WRONG])
  const planted = problems.filter((p) => /^(wrong|nullable)\.md:/.test(p))
  t.same(problems.filter((p) => !planted.includes(p)), [], 'no problem in the documents')
  t.equal(planted.length, 2, `the planted mistakes are found:\n${planted.join('\n')}`)
  t.match(planted[0], /^wrong\.md:11: [^]*not assignable to parameter of type 'Key'/)
  t.match(planted[1], /^nullable\.md:21: [^]*'null' is not assignable/)
})

// Info messages (proto type 1, docs/aerospike.md "Info"): a request is command names, each ended by '\n'; the
// answer echoes each command exactly, then '\t', its value and '\n'. Commands carry parameters as
// `name/arg/arg` or `name:key=value;key=value`.
import { PROTO_HEADER_BYTES, PROTO_TYPE } from './constants.js'
import { writeProtoHeader } from './proto.js'
import { malformed, WireWriter } from './wire.js'

/** At most this many commands are read from one request; tools send a handful. */
export const MAX_INFO_COMMANDS = 1024

const EOL = 0x0a
const TAB = 0x09

/**
 * The commands of a request body, in order, exactly as sent. Like Aerospike's server, only commands ended by
 * '\n' count: bytes after the last '\n' are ignored, and an empty body yields no commands.
 */
export function decodeInfoRequest(body: Buffer, maxCommands = MAX_INFO_COMMANDS): string[] {
  const commands: string[] = []
  let start = 0
  for (let at = body.indexOf(EOL); at !== -1; at = body.indexOf(EOL, start)) {
    if (commands.length === maxCommands) throw malformed(`info request holds more than ${maxCommands} commands`)
    commands.push(body.toString('utf8', start, at))
    start = at + 1
  }
  return commands
}

/** A request frame asking `commands`; none may hold '\n'. */
export function encodeInfoRequest(commands: readonly string[]): Buffer {
  for (const command of commands) if (command.includes('\n')) throw malformed(`info command ${JSON.stringify(command)} holds a newline`)
  return frame(commands.map((command) => `${command}\n`).join(''))
}

/** An answer frame: each command with its value, in order. Values may hold neither '\n' nor (first) a tab. */
export function encodeInfoResponse(answers: readonly (readonly [command: string, value: string])[]): Buffer {
  const writer = new WireWriter()
  writer.skip(PROTO_HEADER_BYTES)
  for (const [command, value] of answers) {
    if (command.includes('\n') || value.includes('\n')) throw malformed(`info answer to ${JSON.stringify(command)} holds a newline`)
    writer.text(command)
    writer.u8(TAB)
    writer.text(value)
    writer.u8(EOL)
  }
  writeProtoHeader(writer.buf, 0, PROTO_TYPE.INFO, writer.pos - PROTO_HEADER_BYTES)
  return writer.take()
}

/**
 * The pairs of an answer body. Each line must end with '\n' and hold a tab between the command and its value, as
 * the official clients require.
 */
export function decodeInfoResponse(body: Buffer, maxCommands = MAX_INFO_COMMANDS): [command: string, value: string][] {
  const answers: [string, string][] = []
  let start = 0
  while (start < body.length) {
    const end = body.indexOf(EOL, start)
    if (end === -1) throw malformed('info answer does not end with a newline')
    const tab = body.indexOf(TAB, start)
    if (tab === -1 || tab > end) throw malformed(`info answer line ${answers.length + 1} has no tab`)
    if (answers.length === maxCommands) throw malformed(`info answer holds more than ${maxCommands} lines`)
    answers.push([body.toString('utf8', start, tab), body.toString('utf8', tab + 1, end)])
    start = end + 1
  }
  return answers
}

/** A command split into its name and the parameters after the first '/', ':' or ';' ('' when none). */
export interface InfoCommand {
  name: string
  params: string
}

/** Splits a command as Aerospike's server does: the name ends at the first '/', ':' or ';'. */
export function parseInfoCommand(command: string): InfoCommand {
  const match = /[/:;]/.exec(command)
  if (match === null) return { name: command, params: '' }
  return { name: command.slice(0, match.index), params: command.slice(match.index + 1) }
}

/** Positional parameters: `namespace/test` -> ['test']; `sets/test/demo` -> ['test', 'demo']. */
export function infoArgs(params: string): string[] {
  return params === '' ? [] : params.split('/')
}

/** Keyword parameters: `context=namespace;id=test` -> {context: 'namespace', id: 'test'} (a key without '=' maps to ''). */
export function infoKwargs(params: string): Map<string, string> {
  const kwargs = new Map<string, string>()
  for (const pair of params.split(';')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    if (eq === -1) kwargs.set(pair, '')
    else kwargs.set(pair.slice(0, eq), pair.slice(eq + 1))
  }
  return kwargs
}

/** The value an info command answers on failure: `ERROR:<code>:<message>`, which the clients turn into an error. */
export function infoError(code: number, message: string): string {
  return `ERROR:${code}:${message.replace(/[\n\t]/g, ' ')}`
}

function frame(text: string): Buffer {
  const bytes = Buffer.byteLength(text)
  const out = Buffer.allocUnsafe(PROTO_HEADER_BYTES + bytes)
  writeProtoHeader(out, 0, PROTO_TYPE.INFO, bytes)
  out.write(text, PROTO_HEADER_BYTES, 'utf8')
  return out
}

// INFO: named facts about the server, as Aerospike's info protocol gives them (`status`, `statistics`,
// `namespace/<ns>`, ...). An unknown command gets `ERROR:4:...` as its value, not a failed request. PROTOCOL.md §4.9
import type { InfoRequest, InfoResult } from '../../protocol/messages.js'
import type { OpContext } from './context.js'

export function info({ info }: OpContext, request: InfoRequest): InfoResult {
  return request.commands.map((command) => [command, info(command)])
}

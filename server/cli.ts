#!/usr/bin/env node
// The `tally` command: `server` runs the daemon, `stop` stops it, `info` asks it for facts, `get`/`put`/`incr`/
// `remove`/`touch` read and fix records by hand, `bench` loads it, and `check`/`repair` look after a data directory.
import { Command } from 'commander'
import { addBenchCommand } from '../bench/command.js'
import { addCheckCommands } from './commands/check.js'
import { addClusterCommand } from './commands/cluster.js'
import { addDataCommands } from './commands/data.js'
import { addInfoCommand } from './commands/info.js'
import { addServerCommand } from './commands/server.js'
import { addStopCommand } from './commands/stop.js'
import { SERVER_VERSION } from './version.js'

const program = new Command('tally').version(SERVER_VERSION).description('Tally: a key-value record store with atomic counters')
addServerCommand(program)
addStopCommand(program)
addInfoCommand(program)
addDataCommands(program)
addBenchCommand(program)
addCheckCommands(program)
addClusterCommand(program)

program.parseAsync().catch((err: Error) => {
  process.stderr.write(`tally: ${err.message}\n`)
  process.exit(1)
})

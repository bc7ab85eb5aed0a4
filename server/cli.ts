#!/usr/bin/env node
// The `tally` command: `server` runs the daemon, `stop` stops it, `info` asks it for facts, `get`/`put`/`incr`/
// `remove`/`touch` read and fix records by hand, `scan` prints them all, `bench` loads it, `check`/`repair` look
// after a data directory, and `truncate`/`backup`/`restore` empty sets and move records out and back.
import { Command } from 'commander'
import { addBenchCommand } from '../bench/command.js'
import { addBackupCommands } from './commands/backup.js'
import { addCheckCommands } from './commands/check.js'
import { addClusterCommand } from './commands/cluster.js'
import { addDataCommands } from './commands/data.js'
import { addInfoCommand } from './commands/info.js'
import { addScanCommand } from './commands/scan.js'
import { addServerCommand } from './commands/server.js'
import { addStopCommand } from './commands/stop.js'
import { addUserCommands } from './commands/user.js'
import { SERVER_VERSION } from './version.js'

const program = new Command('tally').version(SERVER_VERSION).description('Tally: a key-value record store with atomic counters')
addServerCommand(program)
addStopCommand(program)
addInfoCommand(program)
addDataCommands(program)
addScanCommand(program)
addBenchCommand(program)
addCheckCommands(program)
addBackupCommands(program)
addUserCommands(program)
addClusterCommand(program)

program.parseAsync().catch((err: Error) => {
  process.stderr.write(`tally: ${err.message}\n`)
  process.exit(1)
})

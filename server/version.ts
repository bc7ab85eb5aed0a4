// The server's version, read once from package.json (two levels up from the compiled file).
import { readFileSync } from 'node:fs'

export const SERVER_VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version

// A truncate whose log entry is cut by a storage failure cannot be undone in memory: the next segment states it
// again, before the records it restates, so that after a restart the truncated records are still gone.
import t from 'tap'
import { connect, Key, type Client } from '../../client/index.js'
import { startServer, type TallyServer } from '../../server/index.js'
import type { FileSystem } from '../../server/persist/files.js'
import { recordingLogger, tempDataDir } from '../helpers/data-dir.js'
import { FaultyDisk } from '../helpers/faulty-disk.js'

async function open(dir: string, disk: FileSystem): Promise<{ server: TallyServer; client: Client }> {
  const server = await startServer({ host: '127.0.0.1', port: 0, aerospikePort: null, storage: 'disk', dataDir: dir, nsupPeriodMs: 0, fileSystem: disk, log: recordingLogger().log })
  return { server, client: await connect({ hosts: `127.0.0.1:${server.address.port}`, policy: { totalTimeoutMs: 30_000 } }) }
}

async function shut(s: { server: TallyServer; client: Client }): Promise<void> {
  await s.client.close()
  await s.server.close()
}

t.test('a truncate cut by a failed append is restated in the next segment', async (t) => {
  const dir = tempDataDir(t)
  const disk = new FaultyDisk()
  let s = await open(dir, disk)
  t.teardown(() => shut(s))
  await Promise.all(Array.from({ length: 200 }, (_, i) => s.client.put(new Key('test', 'a', i), { n: i })))
  await s.client.put(new Key('test', 'b', 1), { n: 1 })
  disk.failAppend = 'EIO' // appends fail; a new segment (written from its start) can begin
  const [truncated, put] = await Promise.allSettled([s.client.truncate('test', 'a'), s.client.put(new Key('test', 'b', 2), { n: 2 })])
  t.equal(truncated.status, 'fulfilled', 'the truncate stands: it is restated, not undone')
  t.equal(put.status, 'rejected', 'the write logged after it is undone')
  disk.failAppend = undefined
  t.equal(await s.client.exists(new Key('test', 'a', 5)), false)
  await shut(s)
  s = await open(dir, new FaultyDisk())
  t.equal(await s.client.exists(new Key('test', 'a', 5)), false, 'still gone after a restart')
  t.equal(await s.client.exists(new Key('test', 'b', 1)), true)
  t.equal(await s.client.exists(new Key('test', 'b', 2)), false)
  const sets = (await s.client.info('sets/test'))['sets/test']!
  t.notMatch(sets, 'set=a:', 'set a holds nothing')
})

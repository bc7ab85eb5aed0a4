// The operator's tools against a real server: `tally info` (plain, -l, --json) and the data commands
// get/put/incr/touch/remove, readable and --json.
import t from 'tap'
import { runTool, startCliServer } from '../helpers/cli.js'

t.test('tally info and the data commands', async (t) => {
  const server = await startCliServer(t)
  const port = ['--port', String(server.port)]
  const cli = (...args: string[]) => runTool([...args, ...port])

  t.test('info', async (t) => {
    const plain = await cli('info')
    t.equal(plain.code, 0, plain.stderr)
    t.match(plain.stdout, /^status: ok\nversion: Tally \d+\.\d+\.\d+\nbuild: 7\.1\.0\.0\nnamespaces: test\nstatistics: objects=\d+;.*client_connections=1;/)
    const one = await cli('info', 'status')
    t.equal(one.stdout, 'ok\n')
    const lines = await cli('info', '-l', 'namespace/test')
    t.match(lines.stdout, /^objects=\d+\nexpired_objects=0\nevicted_objects=0\ndata_used_bytes=\d+\n/)
    const json = JSON.parse((await cli('info', '--json', 'statistics', 'latencies')).stdout)
    t.type(json.statistics.client_read_success, 'number')
    t.match(json.latencies, /^\{test\}-read:(msec(,[\d.]+){18})?;\{test\}-write:/)
    const bad = await cli('info', 'no-such-thing', 'namespace/nope')
    t.equal(bad.code, 1)
    t.match(bad.stdout, /no-such-thing: ERROR:4:unrecognized command\nnamespace\/nope: ERROR:20:namespace 'nope' does not exist/)
  })

  t.test('put, get, incr, touch, remove', async (t) => {
    const put = await cli('put', 'test', 'cats', 'mr. peppy', 'breed="persian"', 'lives=9', 'tags=["a",1]', 'raw=hex:0aff', 'ratio=2.0', '--ttl', '600')
    t.equal(put.stdout, 'ok  gen 1\n', put.stderr)
    t.equal((await cli('incr', 'test', 'cats', 'mr. peppy', 'lives=-1')).stdout, '8\n')
    t.equal((await cli('incr', 'test', 'cats', 'mr. peppy', 'kittens=1', '--initial', '3')).stdout, '3\n')
    t.equal((await cli('incr', 'test', 'cats', 'big', 'n=9007199254740993')).stdout, '9007199254740993\n')
    const get = await cli('get', 'test', 'cats', 'mr. peppy')
    t.match(get.stdout, /^test\/cats\/mr\. peppy {2}gen 3 {2}ttl 5\d\ds\n {2}breed {4}"persian"\n {2}lives {4}8\n {2}tags {5}\["a",1\]\n {2}raw {6}hex:0aff\n {2}ratio {4}2\n {2}kittens {2}3\n$/)
    const json = JSON.parse((await cli('get', 'test', 'cats', 'mr. peppy', 'lives', 'raw', '--json')).stdout)
    t.same(json, { bins: { lives: 8, raw: 'hex:0aff' }, gen: 3, ttl: json.ttl })
    t.equal((await cli('get', 'test', 'cats', 'big', '--json')).stdout, '{"bins":{"n":9007199254740993},"gen":1,"ttl":-1}\n', 'bigints stay exact in JSON')
    t.match((await cli('touch', 'test', 'cats', 'mr. peppy', '--ttl', '-1')).stdout, /^ok {2}gen 4 {2}ttl -1\n/)
    t.equal((await cli('put', 'test', 'cats', 'mr. peppy', 'raw=null')).stdout, 'ok  gen 5\n')
    t.equal((await cli('get', 'test', '-', '7')).code, 1, 'an integer key in no set: not found')
    t.equal((await cli('put', 'test', '-', '7', 'n=1')).code, 0)
    t.match((await cli('get', 'test', '', '7', '--json')).stdout, /"n":1/)
    t.equal((await cli('remove', 'test', 'cats', 'mr. peppy')).stdout, 'removed\n')
    const gone = await cli('get', 'test', 'cats', 'mr. peppy')
    t.equal(gone.code, 1)
    t.match(gone.stderr, /tally: NOT_FOUND \(2\): record not found/)
    const wrongType = await cli('incr', 'test', 'cats', 'big', 'n=1.5')
    t.match(wrongType.stderr, /INCOMPATIBLE_TYPE \(12\)/)
    const badAssignment = await cli('put', 'test', 'cats', 'x', 'nope')
    t.match(badAssignment.stderr, /'nope' is not bin=value/)
  })
})

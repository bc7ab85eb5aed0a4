// Info messages: the official client's captured requests (whole and byte by byte), answers in the form the
// reference gives (§2.1: `<command>\t<value>\n`), command parameters, and fuzzing of both decoders.
import t from 'tap'
import { PROTO_TYPE } from '../../../protocol/aerospike/constants.js'
import {
  decodeInfoRequest,
  decodeInfoResponse,
  encodeInfoRequest,
  encodeInfoResponse,
  infoArgs,
  infoError,
  infoKwargs,
  parseInfoCommand,
} from '../../../protocol/aerospike/info.js'
import { STATUS } from '../../../protocol/status.js'
import { INFO_REQUESTS } from './captured.js'
import { framesOf, fuzz, hex, mutations, randomInputs, seeded } from './wire-helpers.js'

const EXPECTED: Record<keyof typeof INFO_REQUESTS, string[]> = {
  SEED: ['node', 'partition-generation', 'build'],
  PEERS: ['peers-clear-std'],
  PARTITIONS: ['partition-generation', 'replicas'],
  TEND: ['node', 'peers-generation', 'partition-generation'],
  USER_AGENT: ['user-agent-set:value=MSxub2RlanMtNi43LjEsbm90LXNldA=='],
}

t.test("the client's info requests decode to its commands, and encode back to the same bytes", async (t) => {
  for (const [name, frame] of Object.entries(INFO_REQUESTS) as [keyof typeof INFO_REQUESTS, string][]) {
    const [decoded] = framesOf(hex(frame))
    t.equal(decoded!.type, PROTO_TYPE.INFO)
    t.same(decodeInfoRequest(decoded!.body), EXPECTED[name], name)
    t.equal(encodeInfoRequest(EXPECTED[name]).toString('hex'), frame, `${name} re-encoded`)
  }
})

t.test('the connect-and-tend sequence fed byte by byte gives the same commands', async (t) => {
  const stream = Buffer.concat([INFO_REQUESTS.SEED, INFO_REQUESTS.PEERS, INFO_REQUESTS.PARTITIONS, INFO_REQUESTS.TEND, INFO_REQUESTS.TEND].map(hex))
  const frames = framesOf(stream, 1)
  t.same(
    frames.map((frame) => decodeInfoRequest(frame.body)),
    [EXPECTED.SEED, EXPECTED.PEERS, EXPECTED.PARTITIONS, EXPECTED.TEND, EXPECTED.TEND],
  )
})

t.test('an answer echoes each command, a tab, the value and a newline (reference §2.1, §2.3)', async (t) => {
  const answer = encodeInfoResponse([
    ['node', 'BB9000000000001'],
    ['partition-generation', '1'],
    ['build', '7.1.0.0'],
  ])
  const text = 'node\tBB9000000000001\npartition-generation\t1\nbuild\t7.1.0.0\n'
  t.equal(answer.toString('hex'), '0201' + Buffer.byteLength(text).toString(16).padStart(12, '0') + Buffer.from(text).toString('hex'))
  const [frame] = framesOf(answer, 1)
  t.same(decodeInfoResponse(frame!.body), [
    ['node', 'BB9000000000001'],
    ['partition-generation', '1'],
    ['build', '7.1.0.0'],
  ])
  t.equal(encodeInfoResponse([]).toString('hex'), '0201000000000000', 'no commands, empty body')
  t.equal(infoError(4, 'unrecognized command'), 'ERROR:4:unrecognized command', 'the server answer to an unknown command')
  t.equal(infoError(20, 'no\tsuch\nnamespace'), 'ERROR:20:no such namespace', 'tabs and newlines cannot break the answer')
})

t.test('only commands ended by a newline count, as on the real server', async (t) => {
  t.same(decodeInfoRequest(Buffer.alloc(0)), [])
  t.same(decodeInfoRequest(Buffer.from('build')), [], 'no newline: nothing')
  t.same(decodeInfoRequest(Buffer.from('build\nstatus')), ['build'])
  t.same(decodeInfoRequest(Buffer.from('\n\nstatus\n')), ['', '', 'status'], 'empty commands are answered too (with an error)')
  t.same(decodeInfoRequest(Buffer.from('x\n'.repeat(3)), 3), ['x', 'x', 'x'])
  t.throws(() => decodeInfoRequest(Buffer.from('x\n'.repeat(4)), 3), { code: STATUS.PARAMETER, message: /more than 3 commands/ })
})

t.test('encoders refuse text that would break the line format', async (t) => {
  t.throws(() => encodeInfoRequest(['a\nb']), { code: STATUS.PARAMETER, message: /holds a newline/ })
  t.throws(() => encodeInfoResponse([['build', '1\n2']]), { code: STATUS.PARAMETER, message: /holds a newline/ })
})

t.test('answers the clients could not parse are refused with status 4', async (t) => {
  t.throws(() => decodeInfoResponse(Buffer.from('build\t7.1.0.0')), { code: STATUS.PARAMETER, message: /does not end with a newline/ })
  t.throws(() => decodeInfoResponse(Buffer.from('build 7.1.0.0\n')), { code: STATUS.PARAMETER, message: /line 1 has no tab/ })
  t.same(decodeInfoResponse(Buffer.from('sets\tns=test:set=demo\tx\n')), [['sets', 'ns=test:set=demo\tx']], 'the first tab splits')
})

t.test('commands split into a name and parameters at the first / : or ;', async (t) => {
  const cases: [string, string, string][] = [
    ['node', 'node', ''],
    ['namespace/test', 'namespace', 'test'],
    ['sets/test/demo', 'sets', 'test/demo'],
    ['get-config:context=namespace;id=test', 'get-config', 'context=namespace;id=test'],
    ['user-agent-set:value=MSxub2Rl', 'user-agent-set', 'value=MSxub2Rl'],
    ['latencies:', 'latencies', ''],
    ['a;b/c', 'a', 'b/c'],
  ]
  for (const [command, name, params] of cases) t.same(parseInfoCommand(command), { name, params }, command)
  t.same(infoArgs('test/demo'), ['test', 'demo'])
  t.same(infoArgs(''), [])
  t.same([...infoKwargs('context=namespace;id=test;;flag')], [
    ['context', 'namespace'],
    ['id', 'test'],
    ['flag', ''],
  ])
})

t.test('fuzz: both decoders give commands or status 4 on random and damaged bodies', async (t) => {
  const random = seeded(11)
  const requests = [...randomInputs(random, 2000, 64), ...mutations(random, hex(INFO_REQUESTS.TEND).subarray(8), 2000)]
  const request = fuzz(requests, (bytes) => decodeInfoRequest(bytes))
  t.equal(request.inputs, 4000)
  t.equal(request.other, 0, request.otherErrors.join('\n'))
  t.equal(request.decoded, 4000, 'any bytes are a request; unknown commands are answered with errors')
  const answerBody = encodeInfoResponse([['node', 'BB9000000000001'], ['partition-generation', '1']]).subarray(8)
  const responses = fuzz([...randomInputs(random, 2000, 64), ...mutations(random, answerBody, 2000)], (bytes) => decodeInfoResponse(bytes))
  t.equal(responses.inputs, 4000)
  t.equal(responses.other, 0, responses.otherErrors.join('\n'))
  t.equal(responses.decoded + responses.refused, 4000)
  t.ok(responses.decoded > 0 && responses.refused > 0)
})

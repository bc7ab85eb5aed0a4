// Admin messages: the official client's captured LOGIN, the 52 answer that lets it carry on without security,
// malformed headers and fields, and fuzzing.
import t from 'tap'
import { decodeAdmin, encodeAdmin } from '../../../protocol/aerospike/admin.js'
import { ADMIN_COMMAND, ADMIN_FIELD, PROTO_TYPE } from '../../../protocol/aerospike/constants.js'
import { RESULT } from '../../../protocol/aerospike/result-codes.js'
import { STATUS } from '../../../protocol/status.js'
import { LOGIN } from './captured.js'
import { framesOf, fuzz, hex, mutations, randomInputs, seeded } from './wire-helpers.js'

t.test("the client's LOGIN decodes to the user and its bcrypt credential, and encodes back", async (t) => {
  const [frame] = framesOf(hex(LOGIN), 1)
  t.equal(frame!.type, PROTO_TYPE.ADMIN)
  const login = decodeAdmin(frame!.body)
  t.equal(login.command, ADMIN_COMMAND.LOGIN)
  t.same(
    login.fields.map((field) => [field.id, field.data.toString()]),
    [
      [ADMIN_FIELD.USER, 'admin'],
      // The C client hashes the password with bcrypt and a fixed salt.
      [ADMIN_FIELD.CREDENTIAL, '$2a$10$7EqJtq98hPqEX7fNZaFWoOu7NRZ0i7m5NbgPBEsHTCoJzZDEKQRb.'],
    ],
  )
  t.equal(encodeAdmin({ command: login.command, fields: login.fields }).toString('hex'), LOGIN)
})

t.test('the answer to LOGIN is a 16-byte header with result 52 at body byte 1', async (t) => {
  // C client as_admin.c reads 24 bytes (8 proto + 16 admin) and takes the result from byte 9; 52 is
  // SECURITY_NOT_ENABLED, which makes it carry on unauthenticated (reference §2.4). Layout: server security.h.
  const answer = encodeAdmin({ result: RESULT.SECURITY_NOT_ENABLED })
  t.equal(answer.toString('hex'), '0202000000000010' + '00340000' + '00'.repeat(12))
  t.equal(answer[9], 52)
  t.match(decodeAdmin(answer.subarray(8)), { result: 52, command: 0, fields: [] })
})

t.test('AUTHENTICATE with a user and a session token round-trips', async (t) => {
  const fields = [
    { id: ADMIN_FIELD.USER, data: Buffer.from('admin') },
    { id: ADMIN_FIELD.SESSION_TOKEN, data: Buffer.from([1, 2, 3, 4]) },
  ]
  const [frame] = framesOf(encodeAdmin({ command: ADMIN_COMMAND.AUTHENTICATE, fields }), 1)
  t.same(decodeAdmin(frame!.body), { command: ADMIN_COMMAND.AUTHENTICATE, result: 0, fields })
})

t.test('malformed admin messages are refused with status 4', async (t) => {
  const header = (count: number): string => '0000' + '14' + count.toString(16).padStart(2, '0') + '00'.repeat(12)
  const cases: [string, RegExp][] = [
    ['00001400', /shorter than its 16-byte header/],
    [header(1), /announces 1 fields in 16 bytes/],
    [header(1) + '00000000' + '00', /field 0 has size 0/],
    [header(1) + '00000009' + '00' + '6162', /field 0 has size 9, 3 bytes remain/],
    [header(2) + '00000003' + '00' + '6162' + '000000', /field 1 is truncated/],
    [header(0) + 'ff', /1 bytes follow the admin message's fields/],
  ]
  for (const [body, message] of cases) t.throws(() => decodeAdmin(hex(body)), { code: STATUS.PARAMETER, message }, body)
  t.throws(() => encodeAdmin({ fields: Array.from({ length: 256 }, () => ({ id: 0, data: Buffer.alloc(0) })) }), { code: STATUS.PARAMETER })
})

t.test('fuzz: random and damaged admin bodies decode or are refused with status 4', async (t) => {
  const random = seeded(21)
  const outcome = fuzz([...randomInputs(random, 2000, 48), ...mutations(random, hex(LOGIN).subarray(8), 3000)], (bytes) => decodeAdmin(bytes))
  t.equal(outcome.inputs, 5000)
  t.equal(outcome.other, 0, outcome.otherErrors.join('\n'))
  t.equal(outcome.decoded + outcome.refused, 5000)
  t.ok(outcome.decoded > 0 && outcome.refused > 0, `${outcome.decoded} decoded, ${outcome.refused} refused`)
})

// Admin (security) messages, proto type 2 (docs/aerospike.md "Admin"): a 16-byte header (scheme, result,
// command, field count, 12 zero bytes), then fields of u32 size (counting the id byte), u8 id, data. Requests and
// answers share the layout; without users, LOGIN and AUTHENTICATE are answered with 52 (security not enabled).
import { ADMIN, ADMIN_HEADER_BYTES, FIELD_HEADER_BYTES, PROTO_HEADER_BYTES, PROTO_TYPE } from './constants.js'
import { writeProtoHeader } from './proto.js'
import { malformed, WireWriter } from './wire.js'

/** One admin field: its id and a view of its data. */
export interface AdminField {
  id: number
  data: Buffer
}

/** An admin message: the command (requests) or the result (answers), and the fields. */
export interface AdminMessage {
  command: number
  result: number
  fields: AdminField[]
}

/** Decodes an admin body, checking the field count and every field's size against the bytes present. */
export function decodeAdmin(body: Buffer): AdminMessage {
  if (body.length < ADMIN_HEADER_BYTES) throw malformed(`admin message of ${body.length} bytes is shorter than its ${ADMIN_HEADER_BYTES}-byte header`)
  const count = body[ADMIN.N_FIELDS]!
  if (count * FIELD_HEADER_BYTES > body.length - ADMIN_HEADER_BYTES) throw malformed(`admin message announces ${count} fields in ${body.length} bytes`)
  const fields: AdminField[] = []
  let at = ADMIN_HEADER_BYTES
  for (let i = 0; i < count; i++) {
    if (at + FIELD_HEADER_BYTES > body.length) throw malformed(`admin field ${i} is truncated`)
    const size = body.readUInt32BE(at)
    if (size < 1 || size > body.length - at - 4) throw malformed(`admin field ${i} has size ${size}, ${body.length - at - 4} bytes remain`)
    fields.push({ id: body[at + 4]!, data: body.subarray(at + FIELD_HEADER_BYTES, at + 4 + size) })
    at += 4 + size
  }
  if (at !== body.length) throw malformed(`${body.length - at} bytes follow the admin message's fields`)
  return { command: body[ADMIN.COMMAND]!, result: body[ADMIN.RESULT]!, fields }
}

/** A whole admin frame: a request (`result` 0) or an answer (`command` 0, as the server sends). */
export function encodeAdmin(message: { command?: number; result?: number; fields?: readonly AdminField[] }): Buffer {
  return encodeAdminRecords([message])
}

/**
 * One admin frame holding several messages one after the other: the answer to a user query is one per user, then
 * one whose result is QUERY_END (50), as the clients read it (as_admin.c `as_admin_read_list`).
 */
export function encodeAdminRecords(messages: readonly { command?: number; result?: number; fields?: readonly AdminField[] }[]): Buffer {
  const writer = new WireWriter()
  writer.skip(PROTO_HEADER_BYTES)
  for (const message of messages) writeAdminMessage(writer, message)
  writeProtoHeader(writer.buf, 0, PROTO_TYPE.ADMIN, writer.pos - PROTO_HEADER_BYTES)
  return writer.take()
}

function writeAdminMessage(writer: WireWriter, message: { command?: number; result?: number; fields?: readonly AdminField[] }): void {
  const fields = message.fields ?? []
  if (fields.length > 0xff) throw malformed(`an admin message holds at most 255 fields, not ${fields.length}`)
  const header = writer.skip(ADMIN_HEADER_BYTES)
  writer.buf.fill(0, header, header + ADMIN_HEADER_BYTES)
  writer.buf[header + ADMIN.RESULT] = message.result ?? 0
  writer.buf[header + ADMIN.COMMAND] = message.command ?? 0
  writer.buf[header + ADMIN.N_FIELDS] = fields.length
  for (const field of fields) {
    writer.u32(1 + field.data.length)
    writer.u8(field.id)
    writer.bytes(field.data)
  }
}

/** The ROLES field: a count byte, then each role as a length byte and its bytes. */
export function encodeRoles(roles: readonly string[]): Buffer {
  if (roles.length > 0xff) throw malformed(`at most 255 roles, not ${roles.length}`)
  const parts = [Buffer.from([roles.length])]
  for (const role of roles) {
    const bytes = Buffer.from(role)
    if (bytes.length > 0xff) throw malformed('a role name has at most 255 bytes')
    parts.push(Buffer.from([bytes.length]), bytes)
  }
  return Buffer.concat(parts)
}

/** Reads a ROLES field, checking each length against the bytes present. */
export function decodeRoles(data: Buffer): string[] {
  if (data.length < 1) throw malformed('the roles field is empty')
  const roles: string[] = []
  let at = 1
  for (let i = 0; i < data[0]!; i++) {
    const length = data[at]
    if (length === undefined || at + 1 + length > data.length) throw malformed(`role ${i} of the roles field is truncated`)
    roles.push(data.toString('utf8', at + 1, at + 1 + length))
    at += 1 + length
  }
  if (at !== data.length) throw malformed(`${data.length - at} bytes follow the roles`)
  return roles
}

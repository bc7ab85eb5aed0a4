// Request outcomes of one namespace, under Aerospike's statistic names: the server counts them, `info` reports them.

/** Request outcomes of one namespace. */
export class NamespaceRequestStats {
  client_read_success = 0
  client_read_not_found = 0
  client_read_error = 0
  client_write_success = 0
  client_write_error = 0
  client_delete_success = 0
  client_delete_not_found = 0
  client_delete_error = 0
  fail_generation = 0
  fail_key_busy = 0
  fail_record_too_big = 0
}

// What a promise settled with, as one comparable value: tests that try many requests in a row (users, roles, TLS,
// the official client's errors) check a list of codes at once.

/** The code of the error `promise` rejects with, or 'resolved'. */
export async function codeOf(promise: Promise<unknown>): Promise<number | string> {
  try {
    await promise
    return 'resolved'
  } catch (err) {
    return (err as { code: number }).code
  }
}

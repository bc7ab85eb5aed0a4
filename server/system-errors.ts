// Node's system errors (an errno code such as EACCES) in words, for messages an operator reads: what went wrong,
// without the code, the syscall and the stack that Node's own message carries.

const WORDS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EEXIST: 'it already exists',
  EIO: 'input/output error',
  EMFILE: 'too many open files in this process (raise ulimit -n, or LimitNOFILE= under systemd)',
  ENFILE: 'too many open files on this machine',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
  ENXIO: 'no such device',
}

/** The errno code of a system error, or undefined for any other error. */
export function systemErrorCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined
}

/** What went wrong, in words: `permission denied`; an error that is not a system error gives its own message. */
export function describeSystemError(err: unknown): string {
  const code = systemErrorCode(err)
  if (code === undefined) return (err as Error).message
  return Object.hasOwn(WORDS, code) ? WORDS[code]! : `system error ${code}`
}

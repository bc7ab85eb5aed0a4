// The public API of the Tally server, for embedding it in a Node process or a test.
export { startServer, ServerCore, DEFAULT_SERVER_OPTIONS, AEROSPIKE_SERVICE_PORT, type Protocol, type ServerOptions, type TallyServer } from './server.js'
export { Store, DEFAULT_NAMESPACE, type StoreOptions } from './store/store.js'
export type { Mutation, NamespaceConfig } from './store/namespace.js'
export { ManualClock, systemClock, type Clock } from './store/clock.js'
export { createLogger, silentLogger, type Logger, type LogLevel } from './log.js'
export { ADMIN_PASSWORD_ENV, DEFAULT_SECURITY, type SecurityOptions } from './security/security.js'
export type { TlsOptions } from './security/tls.js'

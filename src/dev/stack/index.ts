/** The production topology for `npm run stack` and the stack tests: Temporal on PostgreSQL (see stack.ts). */
export { startTemporalOnPostgres, serving, schemaSteps, STACK_NAMESPACE, NAMESPACE_RETENTION_HOURS } from './stack';
export type { StackOptions, TemporalOnPostgres } from './stack';
export { ensureServerBinaries, StackSetupError, TEMPORAL_SERVER_VERSION, GO_MIN_VERSION } from './server-binaries';
export type { ServerBinaries } from './server-binaries';
export { findPostgres, PrivatePostgres } from './postgres';
export { DATABASES, NUM_HISTORY_SHARDS } from './server-config';
export { freeLowPort, LOW_PORT_LIMIT } from './ports';

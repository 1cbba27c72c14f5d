/** The LifeTime API v2 package: the client, the wire schemas and the errors. Nothing else is public. */
export {
  LifeTimeClient,
  type ApplicationQuery,
  type CallOptions,
  type CommandOptions,
  type DeploymentsQuery,
  type LifeTimeClientOptions,
  type VersionsQuery,
} from './client';
export * from './schemas';
export * from './errors';

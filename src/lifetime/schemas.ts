/**
 * LifeTime Deployment API v2: the wire format, defined once.
 *
 * Both sides of the wire use these schemas: the client parses responses with them (z.output types), the
 * simulator builds its responses as z.input types and parses request bodies with them. Field names are
 * LifeTime's PascalCase, exactly as the published Swagger spells them.
 *
 * Tolerance policy: responses are loose objects (unknown extra fields pass) and most fields are optional
 * because real LifeTime versions differ; fields the product relies on are required. DeploymentStatus is a
 * closed enum: an unknown value is an error that names the value, never a silent success.
 *
 * This module imports zod only, so workflow code may import its types.
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------------------------
// Scalars

/**
 * LifeTime date-time. `1900-01-01T00:00:00` is LifeTime's "never set" sentinel and becomes `undefined`.
 * Input (what a server sends) is the ISO string; output (what the client reads) is a Date or undefined.
 */
export const LtDate = z
  .string()
  .refine((s) => s.startsWith('1900-01-01') || !Number.isNaN(Date.parse(s)), { message: 'not a date-time' })
  .transform((s) => (s.startsWith('1900-01-01') ? undefined : new Date(s)));
export const NEVER_DATE = '1900-01-01T00:00:00';

/** A LifeTime key: in practice a GUID; kept as a non-empty string for tolerance. */
export const Key = z.string().min(1);

// ---------------------------------------------------------------------------------------------------------------
// Errors

/** Error body of every 4xx/5xx response. */
export const ExceptionBody = z.looseObject({
  Errors: z.array(z.string()).optional(),
  StatusCode: z.number().int().optional(),
});
export type ExceptionBody = z.infer<typeof ExceptionBody>;

// ---------------------------------------------------------------------------------------------------------------
// Environments

export const Environment = z.looseObject({
  Key: Key,
  Name: z.string(),
  OSVersion: z.string().optional(),
  Order: z.number().int().optional(),
  DetailsURL: z.string().optional(),
  HostName: z.string().optional(),
  UseHTTPS: z.boolean().optional(),
  EnvironmentType: z.string().optional(),
  NumberOfFrontEnds: z.number().int().optional(),
  ApplicationServerType: z.string().optional(),
  ApplicationServer: z.string().optional(),
  DatabaseProvider: z.string().optional(),
  IsCloudEnvironment: z.boolean().optional(),
  IsOffline: z.boolean().optional(),
});
export type Environment = z.infer<typeof Environment>;
export const EnvironmentList = z.array(Environment);

/** Body of E17 `PUT /environments/{key}/maintenancemode` (MaintenanceModeSetting). */
export const MaintenanceModeSetting = z.object({
  IsMaintenanceModeEnabled: z.boolean(),
  Reason: z.string().optional(),
});
export type MaintenanceModeSetting = z.input<typeof MaintenanceModeSetting>;

export const DeploymentTechnology = z.looseObject({ Key: z.string().optional(), Name: z.string().optional() });
export const DeploymentZone = z.looseObject({
  Key: Key,
  Name: z.string(),
  IsDefault: z.boolean().optional(),
  DeploymentTechnology: DeploymentTechnology.optional(),
});
export type DeploymentZone = z.infer<typeof DeploymentZone>;
export const DeploymentZoneList = z.array(DeploymentZone);

// ---------------------------------------------------------------------------------------------------------------
// Applications

export const MobileAppStatusInEnv = z.looseObject({
  EnvironmentKey: z.string().optional(),
  NativePlatform: z.string().optional(),
  VersionNumber: z.string().optional(),
  HasBinaryAvailable: z.boolean().optional(),
  IsConfigured: z.boolean().optional(),
  IsConfigurationChanged: z.boolean().optional(),
  IsModified: z.boolean().optional(),
});

export const ModuleStatusInEnv = z.looseObject({
  ApplicationKey: z.string().optional(),
  EnvironmentKey: z.string().optional(),
  ModuleVersionKey: z.string().optional(),
  ConsistencyStatus: z.string().optional(),
  ConsistencyStatusMessages: z.string().optional(),
});

export const AppStatusInEnv = z.looseObject({
  EnvironmentKey: Key,
  BaseApplicationVersionKey: z.string(),
  BaseApplicationVersionLabel: z.string().optional(),
  IsModified: z.boolean().optional(),
  IsModifiedReason: z.string().optional(),
  IsModifiedMessage: z.string().optional(),
  ConsistencyStatus: z.string().optional(),
  ConsistencyStatusMessages: z.string().optional(),
  MobileAppsStatus: z.array(MobileAppStatusInEnv).optional(),
  ModuleStatusInEnvs: z.array(ModuleStatusInEnv).optional(),
  DeploymentZoneKey: z.string().optional(),
});
export type AppStatusInEnv = z.infer<typeof AppStatusInEnv>;

export const Application = z.looseObject({
  Key: Key,
  Name: z.string(),
  Kind: z.string().optional(),
  Team: z.string().optional(),
  Description: z.string().optional(),
  URLPath: z.string().optional(),
  IconHash: z.string().optional(),
  IconURL: z.string().optional(),
  DetailsURL: z.string().optional(),
  IsSystem: z.boolean().optional(),
  AppStatusInEnvs: z.array(AppStatusInEnv).optional(),
});
export type Application = z.infer<typeof Application>;
export const ApplicationList = z.array(Application);

export const MobileVersion = z.looseObject({
  NativePlatform: z.string().optional(),
  VersionNumber: z.string().optional(),
  VersionDescription: z.string().optional(),
});

export const ModuleVersion = z.looseObject({
  Key: z.string().optional(),
  ModuleKey: z.string().optional(),
  CreatedOn: LtDate.optional(),
  CreatedBy: z.string().optional(),
  CreatedByUsername: z.string().optional(),
  GeneralHash: z.string().optional(),
  DirectUpgradeFromHash: z.string().optional(),
});

export const ApplicationVersion = z.looseObject({
  Key: Key,
  ApplicationKey: z.string().optional(),
  Version: z.string().optional(),
  ChangeLog: z.string().optional(),
  CreatedOn: LtDate.optional(),
  InUse: z.boolean().optional(),
  MobileVersions: z.array(MobileVersion).nullish(),
  PrimaryColor: z.string().optional(),
  NativeHash: z.string().optional(),
  ModuleVersions: z.array(ModuleVersion).optional(),
  EnvironmentKey: z.string().optional(),
});
export type ApplicationVersion = z.infer<typeof ApplicationVersion>;
export const ApplicationVersionList = z.array(ApplicationVersion);

/** Body of `POST /environments/{env}/applications/{app}/versions/` (tag a version). */
export const ApplicationVersionCreate = z.object({
  ChangeLog: z.string().optional(),
  Version: z.string().min(1),
  MobileVersions: z.array(MobileVersion).nullish(),
  /** Deprecated by LifeTime; still accepted. */
  ModuleVersionKeys: z.array(z.string()).optional(),
});
export type ApplicationVersionCreate = z.input<typeof ApplicationVersionCreate>;

/** Response of the tagging call (`TextRecord`). */
export const ApplicationVersionCreated = z.looseObject({ ApplicationVersionKey: Key });
export type ApplicationVersionCreated = z.infer<typeof ApplicationVersionCreated>;

// ---------------------------------------------------------------------------------------------------------------
// Deployments

/** One application in a create/update body: both fields required by the Swagger; "" zone = target default. */
export const ApplicationOperationInput = z.object({
  ApplicationVersionKey: Key,
  DeploymentZoneKey: z.string(),
});

/** Body of `POST /deployments/` and `PUT /deployments/{key}/`. */
export const DeploymentCreate = z.object({
  Notes: z.string(),
  SourceEnvironmentKey: Key,
  TargetEnvironmentKey: Key,
  ApplicationOperations: z.array(ApplicationOperationInput).min(1),
});
export type DeploymentCreate = z.input<typeof DeploymentCreate>;
/** Update: every field optional (MD2). */
export const DeploymentUpdate = DeploymentCreate.partial();
export type DeploymentUpdate = z.input<typeof DeploymentUpdate>;

export const ApplicationOperation = z.looseObject({
  ApplicationKey: z.string().optional(),
  ApplicationVersionKey: z.string().optional(),
  DeploymentOperation: z.string().optional(),
  DeploymentZoneKey: z.string().optional(),
});
export type ApplicationOperation = z.infer<typeof ApplicationOperation>;

const deploymentFields = {
  Key: Key,
  SourceEnvironmentKey: z.string().optional(),
  TargetEnvironmentKey: z.string().optional(),
  Notes: z.string().optional(),
  CreatedOn: LtDate.optional(),
  CreatedBy: z.string().optional(),
  CreatedByUsername: z.string().optional(),
  SavedOn: LtDate.optional(),
  SavedBy: z.string().optional(),
  SavedByUsername: z.string().optional(),
  StartedOn: LtDate.optional(),
  StartedBy: z.string().optional(),
  StartedByUsername: z.string().optional(),
  AbortedOn: LtDate.optional(),
  AbortedBy: z.string().optional(),
  AbortedByUsername: z.string().optional(),
  ApplicationOperations: z.array(ApplicationOperation).optional(),
};

/** `Deployment_v2`: list items of `GET /deployments/` and `Deployment` in the details response. */
export const Deployment = z.looseObject({ ...deploymentFields, DetailsURL: z.string().optional() });
export type Deployment = z.infer<typeof Deployment>;
export const DeploymentList = z.array(Deployment);

/** `DeploymentData_v2`: response of `PUT /deployments/{key}/`. */
export const DeploymentData = z.looseObject(deploymentFields);
export type DeploymentData = z.infer<typeof DeploymentData>;

export const ConflictType = z.string(); // 9 documented values (see CONFLICT_TYPES); tolerant of new ones
export const CONFLICT_TYPES = [
  'Producer Module Missing',
  'Producer Element Missing',
  'Producer Element Incompatible',
  'Consumer Module Outdated',
  'Newer Producer Module Available',
  'IncompatiblePlatformServer',
  'ConsumerModuleMoved',
  'ProducerModuleMoved',
  'NameColision',
] as const;

export const ModuleConflict = z.looseObject({
  ProducerModuleKey: z.string().optional(),
  ConsumerModuleKey: z.string().optional(),
  TotalRequiredElements: z.number().int().optional(),
  ConflictType: ConflictType.optional(),
});

export const ConflictApplicationOperation = z.looseObject({
  ApplicationKey: z.string().optional(),
  ApplicationVersionKey: z.string().optional(),
  DeploymentOperation: z.string().optional(),
});

export const ApplicationConflict = z.looseObject({
  Message: z.string().optional(),
  ProducerApplicationOperation: ConflictApplicationOperation.optional(),
  ConsumerApplicationOperation: ConflictApplicationOperation.optional(),
  ModuleConflict: ModuleConflict.optional(),
});
export type ApplicationConflict = z.infer<typeof ApplicationConflict>;

export const ModuleInBinary = z.looseObject({
  ModuleKey: z.string().optional(),
  ModuleName: z.string().optional(),
  IsNew: z.boolean().optional(),
});
export const ApplicationInBinary = z.looseObject({
  ApplicationKey: z.string().optional(),
  ApplicationName: z.string().optional(),
  IsNew: z.boolean().optional(),
  ModulesInBinary: z.array(ModuleInBinary).optional(),
});
export const ModuleToDelete = z.looseObject({
  Key: z.string().optional(),
  Name: z.string().optional(),
  Description: z.string().optional(),
});

/** Response of `GET /deployments/{key}/` (runs validation on the server). Missing lists mean empty. */
export const DeploymentDetails = z.looseObject({
  Deployment: Deployment,
  ApplicationsToDeploy: z
    .array(ApplicationInBinary)
    .nullish()
    .transform((v) => v ?? []),
  ApplicationsToRedeploy: z
    .array(z.string())
    .nullish()
    .transform((v) => v ?? []),
  ApplicationConflicts: z
    .array(ApplicationConflict)
    .nullish()
    .transform((v) => v ?? []),
  ModulesToDelete: z
    .array(ModuleToDelete)
    .nullish()
    .transform((v) => v ?? []),
});
export type DeploymentDetails = z.infer<typeof DeploymentDetails>;

/** Deployment commands (`POST /deployments/{key}/{command}/`). */
export const DeploymentCommand = z.enum(['start', 'continue', 'abort']);
export type DeploymentCommand = z.infer<typeof DeploymentCommand>;

/** Every `DeploymentStatus` value LifeTime documents, `force_finished` included. */
export const DeploymentStatus = z.enum(
  [
    'saved',
    'running',
    'needs_user_intervention',
    'aborting',
    'aborted',
    'finished_successful',
    'finished_with_warnings',
    'finished_with_errors',
    'force_finished',
  ],
  {
    error: (issue) =>
      (issue.input === undefined
        ? 'DeploymentStatus is required'
        : `unknown DeploymentStatus ${JSON.stringify(issue.input)?.slice(0, 100)}`) +
      '; known: saved, running, needs_user_intervention, aborting, aborted, finished_successful, ' +
      'finished_with_warnings, finished_with_errors, force_finished',
  },
);
export type DeploymentStatus = z.infer<typeof DeploymentStatus>;

/**
 * The one list of LifeTime's terminal statuses, and what each means for a deployment. Everything that asks
 * "has the plan ended, and how?" (the workflow, the activities, the CLI, the simulator, the tests) reads it here.
 * `force_finished` is set by a person in LifeTime's UI; a plan never reaches it by running.
 */
export const TERMINAL_OUTCOME = {
  finished_successful: 'succeeded',
  finished_with_warnings: 'succeeded_with_warnings',
  force_finished: 'succeeded_with_warnings',
  finished_with_errors: 'failed',
  aborted: 'aborted',
} as const satisfies Partial<Record<DeploymentStatus, string>>;
export type TerminalStatus = keyof typeof TERMINAL_OUTCOME;
/** What a terminal status means for the deployment. */
export type TerminalOutcome = (typeof TERMINAL_OUTCOME)[TerminalStatus];
export const TERMINAL_STATUSES = Object.keys(TERMINAL_OUTCOME) as TerminalStatus[];
export const isTerminalStatus = (s: string): s is TerminalStatus => Object.hasOwn(TERMINAL_OUTCOME, s);
/** Terminal statuses a plan reaches by running (all but the one a person sets). */
export const PlanEndStatus = z.enum(TERMINAL_STATUSES).exclude(['force_finished']);
export type PlanEndStatus = z.infer<typeof PlanEndStatus>;
/** Statuses a plan can be in by running (all but the one a person sets). */
export const RunStatus = DeploymentStatus.exclude(['force_finished']);
/** The status of a plan that ran to the end without trouble. */
export const SUCCESSFUL_END: PlanEndStatus = PlanEndStatus.options[0]!;
/** True when the plan ended with its applications deployed (with or without warnings). */
export const deployedApplications = (s: DeploymentStatus): boolean =>
  isTerminalStatus(s) && TERMINAL_OUTCOME[s].startsWith('succeeded');

/**
 * `Info` when the status is `needs_user_intervention` ("" otherwise). `deploy_prepared` is the older
 * spelling of `deployment_prepared` (MD2) and is normalised to it. Kept open (string) for unknown values,
 * which the workflow treats as "needs a person".
 */
export const INTERVENTION_INFOS = [
  'deployment_prepared',
  'needs_configuration_or_confirmation',
  'business_process_impact',
  'deployment_suspended',
] as const;
export const InterventionInfo = z.enum(INTERVENTION_INFOS);
export type InterventionInfo = z.infer<typeof InterventionInfo>;
export const StatusInfo = z
  .string()
  .nullish()
  .transform((s) => (s === 'deploy_prepared' ? 'deployment_prepared' : (s ?? '')));

export const DeploymentMessageType = z.string(); // Info | Warning | Error (SW only; older servers omit it)
export const DeploymentMessage = z.looseObject({
  Instant: LtDate,
  Message: z.string(),
  Type: DeploymentMessageType.optional(),
});
export type DeploymentMessage = z.infer<typeof DeploymentMessage>;

/** Response of `GET /deployments/{key}/status/`. */
export const DeploymentStatusResponse = z.looseObject({
  DeploymentStatus: DeploymentStatus,
  Info: StatusInfo,
  DeploymentLog: z
    .array(DeploymentMessage)
    .nullish()
    .transform((v) => v ?? []),
});
export type DeploymentStatusResponse = z.infer<typeof DeploymentStatusResponse>;

// ---------------------------------------------------------------------------------------------------------------
// Database mappings (LifeTime ≥ 11.21.1)

/** Items of `GET /deployments/{key}/getmissingdbmappings/`. */
export const MissingDbMapping = z.looseObject({
  ExtensionKey: z.string(),
  ExtensionName: z.string().optional(),
  LogicalDatabase: z.string(),
});
export type MissingDbMapping = z.infer<typeof MissingDbMapping>;
export const MissingDbMappingList = z.array(MissingDbMapping);

/** Body of `POST /deployments/{key}/configuration/`. */
export const ExtensionDbMapping = z.object({ DatabaseName: z.string().min(1), LogicalDatabaseName: z.string().min(1) });
export const ExtensionDbFullMapping = z.object({
  ExtensionKey: Key,
  DBMapping: z.array(ExtensionDbMapping).min(1),
});
export const DbMappingConfiguration = z.array(ExtensionDbFullMapping).min(1);
export type DbMappingConfiguration = z.input<typeof DbMappingConfiguration>;

// ---------------------------------------------------------------------------------------------------------------
// Plain-text keys

/**
 * The body of `POST /deployments/`: the new key as plain text, or (some servers and proxies) as a JSON
 * string. Surrounding whitespace and quotes are removed.
 */
export const PlainTextKey = z
  .string()
  .transform((s) => {
    const t = s.trim();
    if (t.startsWith('"') && t.endsWith('"')) {
      try {
        const parsed: unknown = JSON.parse(t);
        if (typeof parsed === 'string') return parsed.trim();
      } catch {
        // fall through: not JSON
      }
    }
    return t;
  })
  .pipe(Key);

// ---------------------------------------------------------------------------------------------------------------
// Application configurations (blocking an application from deployment per environment)

/** One item of `GET|PUT /applications/{key}/configurations/` (camelCase on the wire, as the Swagger spells it). */
export const ApplicationConfiguration = z.looseObject({
  environmentKey: Key,
  isBlocked: z.boolean(),
  isBlockedChangeReason: z.string().optional(),
});
export type ApplicationConfiguration = z.infer<typeof ApplicationConfiguration>;
/** Response of `GET /applications/{key}/configurations/` and body of the PUT. */
export const ApplicationConfigurations = z.looseObject({ configurations: z.array(ApplicationConfiguration) });
export type ApplicationConfigurations = z.infer<typeof ApplicationConfigurations>;

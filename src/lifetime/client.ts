/**
 * The LifeTime Deployment API v2 client. Every method sends one call through `LifeTimeHttp`, parses the
 * answer with the wire schema (`safeParse`; a mismatch is a LifeTimeSchemaError naming the endpoint and
 * field) and returns the parsed (z.output) value. Request bodies are validated before anything is sent.
 *
 * Every method takes an optional last argument `{ signal }` to abort the request.
 */
import { inspect } from 'node:util';
import type { z } from 'zod';
import { LifeTimeSchemaError } from './errors';
import { LifeTimeHttp, type CallOptions, type HttpOptions, type HttpResult, type Method } from './http';
import {
  Application,
  ApplicationList,
  type Deployment,
  type DeploymentZone,
  type MissingDbMapping,
  ApplicationVersion,
  ApplicationVersionCreate,
  ApplicationVersionCreated,
  ApplicationVersionList,
  DbMappingConfiguration,
  DeploymentCommand,
  DeploymentCreate,
  DeploymentData,
  DeploymentDetails,
  DeploymentList,
  DeploymentStatusResponse,
  DeploymentUpdate,
  DeploymentZoneList,
  Environment,
  EnvironmentList,
  MissingDbMappingList,
  PlainTextKey,
} from './schemas';

export type { CallOptions } from './http';

export type LifeTimeClientOptions = HttpOptions;

/** `IncludeEnvStatus` / `IncludeModules` of the application endpoints (modules need env status). */
export interface ApplicationQuery {
  includeEnvStatus?: boolean;
  includeModules?: boolean;
}
export interface VersionsQuery {
  /** Default on the server: 5. */
  maximumVersionsToReturn?: number;
  /** Only versions whose change log contains this text. */
  changeLogFilter?: string;
}
export interface DeploymentsQuery {
  /** `YYYY-MM-DD` or a Date (its UTC day). Server default: a week ago. */
  minDate?: string | Date;
  /** `YYYY-MM-DD` or a Date (its UTC day). Server default: today. */
  maxDate?: string | Date;
  targetEnvironmentKey?: string;
}
export interface CommandOptions {
  /** `RedeployOutdated`: also redeploy the consumers the plan makes outdated. */
  redeployOutdated?: boolean;
  /**
   * `ContinueWithErrors` (undocumented; OutSystems' CI scripts send it): `start` a plan that still has conflicts.
   * Without it LifeTime refuses to start such a plan (400); it may refuse anyway (older LifeTime).
   */
  continueWithErrors?: boolean;
}

/** A plain-text deployment key (GUID-like); guards against an HTML page or prose read as a key. */
const CreatedDeploymentKey = PlainTextKey.refine((k) => /^[\w.:-]{1,128}$/.test(k), {
  message: 'not a deployment key (expected a GUID as plain text or a JSON string)',
});

type Query = Record<string, string | undefined>;
const bool = (b: boolean | undefined): string | undefined => (b === undefined ? undefined : String(b));

/** One call's method and path (real keys, URL-encoded), used in every error it may raise. */
interface Endpoint {
  method: Method;
  path: string;
}

/** Rejects bad caller input before anything is sent: a non-retryable LifeTimeSchemaError naming the field. */
function badInput(e: Endpoint, field: string, message: string): LifeTimeSchemaError {
  return new LifeTimeSchemaError({ ...e, direction: 'request', issues: [{ path: field, message }] });
}

/** Fills `{name}` placeholders with non-empty, URL-encoded keys. */
function endpoint(method: Method, template: string, keys: Record<string, string> = {}): Endpoint {
  let path = template;
  for (const [name, value] of Object.entries(keys)) {
    if (typeof value !== 'string' || value.trim() === '') {
      throw badInput({ method, path: template }, name, 'expected a non-empty LifeTime key');
    }
    path = path.replace(`{${name}}`, encodeURIComponent(value.trim()));
  }
  return { method, path };
}

export class LifeTimeClient {
  readonly #http: LifeTimeHttp;

  constructor(opts: LifeTimeClientOptions) {
    this.#http = new LifeTimeHttp(opts);
  }

  /** The normalised API base, ending in `/lifetimeapi/rest/v2/`. */
  get baseUrl(): string {
    return this.#http.baseUrl;
  }

  readonly environments = {
    list: async (call?: CallOptions): Promise<Environment[]> =>
      this.#list(EnvironmentList, endpoint('GET', '/environments/'), {}, call),
    get: async (envKey: string, call?: CallOptions): Promise<Environment> =>
      this.#getJson(Environment, endpoint('GET', '/environments/{envKey}/', { envKey }), {}, call),
    deploymentZones: async (envKey: string, call?: CallOptions): Promise<DeploymentZone[]> =>
      this.#list(DeploymentZoneList, endpoint('GET', '/environments/{envKey}/deploymentzones/', { envKey }), {}, call),
    /** Running versions of all applications in the environment. */
    applications: async (envKey: string, q: ApplicationQuery = {}, call?: CallOptions): Promise<Application[]> => {
      const e = endpoint('GET', '/environments/{envKey}/applications/', { envKey });
      return this.#list(ApplicationList, e, appQuery(e, q), call);
    },
    /** Running version of one application in the environment. */
    application: async (
      envKey: string,
      appKey: string,
      q: ApplicationQuery = {},
      call?: CallOptions,
    ): Promise<Application> => {
      const e = endpoint('GET', '/environments/{envKey}/applications/{appKey}/', { envKey, appKey });
      return this.#getJson(Application, e, appQuery(e, q), call);
    },
    /** Tags the application's current state in the environment as a new version (201). */
    tagVersion: async (
      envKey: string,
      appKey: string,
      body: ApplicationVersionCreate,
      call?: CallOptions,
    ): Promise<ApplicationVersionCreated> => {
      const e = endpoint('POST', '/environments/{envKey}/applications/{appKey}/versions/', { envKey, appKey });
      const res = await this.#send(e, ApplicationVersionCreate, body, call);
      return this.#parse(ApplicationVersionCreated, json(res, e), e, res.status);
    },
  };

  readonly applications = {
    list: async (q: ApplicationQuery = {}, call?: CallOptions): Promise<Application[]> => {
      const e = endpoint('GET', '/applications/');
      return this.#list(ApplicationList, e, appQuery(e, q), call);
    },
    get: async (appKey: string, q: ApplicationQuery = {}, call?: CallOptions): Promise<Application> => {
      const e = endpoint('GET', '/applications/{appKey}/', { appKey });
      return this.#getJson(Application, e, appQuery(e, q), call);
    },
    versions: async (appKey: string, q: VersionsQuery = {}, call?: CallOptions): Promise<ApplicationVersion[]> => {
      const e = endpoint('GET', '/applications/{appKey}/versions/', { appKey });
      return this.#list(ApplicationVersionList, e, versionsQuery(e, q), call);
    },
    version: async (
      appKey: string,
      versionKey: string,
      q: { includeModules?: boolean } = {},
      call?: CallOptions,
    ): Promise<ApplicationVersion> => {
      const e = endpoint('GET', '/applications/{appKey}/versions/{versionKey}/', { appKey, versionKey });
      return this.#getJson(ApplicationVersion, e, { IncludeModules: String(q.includeModules ?? false) }, call);
    },
  };

  readonly deployments = {
    /** Newest first; no status field (one `status()` call per plan tells its state). */
    list: async (q: DeploymentsQuery = {}, call?: CallOptions): Promise<Deployment[]> => {
      const e = endpoint('GET', '/deployments/');
      return this.#list(DeploymentList, e, deploymentsQuery(e, q), call);
    },
    /** Creates a plan (state `saved`) and returns its key. 200 and 201 both mean success. */
    create: async (body: DeploymentCreate, call?: CallOptions): Promise<string> => {
      const e = endpoint('POST', '/deployments/');
      const res = await this.#send(e, DeploymentCreate, body, call);
      return this.#parse(CreatedDeploymentKey, keyText(res.body), e, res.status);
    },
    /** Plan details and conflicts. Note: LifeTime validates the plan on this call. */
    get: async (key: string, call?: CallOptions): Promise<DeploymentDetails> =>
      this.#getJson(DeploymentDetails, endpoint('GET', '/deployments/{key}/', { key }), {}, call),
    update: async (key: string, body: DeploymentUpdate, call?: CallOptions): Promise<DeploymentData> => {
      const e = endpoint('PUT', '/deployments/{key}/', { key });
      const res = await this.#send(e, DeploymentUpdate, body, call);
      return this.#parse(DeploymentData, json(res, e), e, res.status);
    },
    /** Deletes a plan (204); only `saved` plans can be deleted (400 otherwise). */
    delete: async (key: string, call?: CallOptions): Promise<void> => {
      await this.#http.request({ ...endpoint('DELETE', '/deployments/{key}/', { key }), signal: call?.signal });
    },
    start: async (key: string, o: CommandOptions = {}, call?: CallOptions): Promise<void> =>
      this.deployments.command(key, 'start', o, call),
    continue: async (key: string, call?: CallOptions): Promise<void> =>
      this.deployments.command(key, 'continue', {}, call),
    abort: async (key: string, call?: CallOptions): Promise<void> => this.deployments.command(key, 'abort', {}, call),
    /** `POST /deployments/{key}/{command}/` (202 = accepted, empty body). */
    command: async (
      key: string,
      command: DeploymentCommand,
      o: CommandOptions = {},
      call?: CallOptions,
    ): Promise<void> => {
      const e = endpoint('POST', '/deployments/{key}/{command}/', { key, command: String(command) });
      if (!DeploymentCommand.safeParse(command).success) {
        throw badInput(e, 'command', `unknown command; expected one of: ${DeploymentCommand.options.join(', ')}`);
      }
      const query = { RedeployOutdated: bool(o.redeployOutdated), ContinueWithErrors: bool(o.continueWithErrors) };
      await this.#http.request({ ...e, query, signal: call?.signal });
    },
    status: async (key: string, call?: CallOptions): Promise<DeploymentStatusResponse> =>
      this.#getJson(DeploymentStatusResponse, endpoint('GET', '/deployments/{key}/status/', { key }), {}, call),
    /** Extension logical databases still to map (LifeTime ≥ 11.21.1). */
    missingDbMappings: async (key: string, call?: CallOptions): Promise<MissingDbMapping[]> =>
      this.#list(MissingDbMappingList, endpoint('GET', '/deployments/{key}/getmissingdbmappings/', { key }), {}, call),
    /** Maps extension databases; on success LifeTime also resumes the deployment. */
    configureDbMappings: async (key: string, body: DbMappingConfiguration, call?: CallOptions): Promise<void> => {
      const e = endpoint('POST', '/deployments/{key}/configuration/', { key });
      await this.#send(e, DbMappingConfiguration, body, call);
    },
  };

  toJSON(): Record<string, unknown> {
    return { LifeTimeClient: this.#http.toJSON() };
  }

  [inspect.custom](): string {
    return `LifeTimeClient ${inspect(this.#http.toJSON())}`;
  }

  async #getJson<S extends z.ZodType>(schema: S, e: Endpoint, query: Query, call?: CallOptions): Promise<z.output<S>> {
    const res = await this.#http.request({ ...e, query, signal: call?.signal });
    return this.#parse(schema, json(res, e), e, res.status);
  }

  /** A list endpoint: 204 (or an empty body) means an empty list. */
  async #list<S extends z.ZodType>(schema: S, e: Endpoint, query: Query, call?: CallOptions): Promise<z.output<S>> {
    const res = await this.#http.request({ ...e, query, signal: call?.signal });
    if (res.status === 204 || res.body.trim() === '') return this.#parse(schema, [], e, res.status);
    return this.#parse(schema, json(res, e), e, res.status);
  }

  /** Parses with the wire schema; issue messages pass through the HTTP layer's redaction (they may quote values). */
  #parse<S extends z.ZodType>(schema: S, value: unknown, e: Endpoint, status: number): z.output<S> {
    const r = schema.safeParse(value);
    if (!r.success) throw new LifeTimeSchemaError({ ...e, status, issues: this.#issues(r.error) });
    return r.data;
  }

  #issues(error: z.ZodError): { path: PropertyKey[]; message: string }[] {
    return error.issues.map((i) => ({ path: i.path, message: this.#http.redact(i.message) }));
  }

  /** Validates the body with its schema (nothing is sent when it fails), then sends the parsed value. */
  async #send(e: Endpoint, schema: z.ZodType, body: unknown, call?: CallOptions): Promise<HttpResult> {
    const checked = schema.safeParse(body);
    if (!checked.success) {
      throw new LifeTimeSchemaError({ ...e, direction: 'request', issues: this.#issues(checked.error) });
    }
    return this.#http.request({ ...e, json: checked.data, signal: call?.signal });
  }
}

/** The JSON of a 2xx response, or a schema error that says what came instead (never the body itself). */
function json(res: HttpResult, e: Endpoint): unknown {
  const text = res.body.trim();
  let message: string;
  if (!text) {
    message = 'empty body; expected JSON';
  } else {
    try {
      return JSON.parse(text);
    } catch {
      message = `not JSON (content-type ${res.contentType || 'none'}, ${text.length} characters)`;
    }
  }
  throw new LifeTimeSchemaError({ ...e, status: res.status, issues: [{ path: '(body)', message }] });
}

/** The key from `POST /deployments/`: plain text, a JSON string, or `{ "DeploymentKey": … }`. */
function keyText(body: string): string {
  const text = body.trim();
  if (text.startsWith('{')) {
    try {
      const o = JSON.parse(text) as { DeploymentKey?: unknown };
      if (typeof o.DeploymentKey === 'string') return o.DeploymentKey;
    } catch {
      // not JSON: the schema rejects it
    }
  }
  return text;
}

function appQuery(e: Endpoint, q: ApplicationQuery): Query {
  if (q.includeModules && !q.includeEnvStatus) {
    throw badInput(e, 'includeModules', 'requires includeEnvStatus (LifeTime answers 400 otherwise)');
  }
  return { IncludeEnvStatus: bool(q.includeEnvStatus), IncludeModules: bool(q.includeModules) };
}

function versionsQuery(e: Endpoint, q: VersionsQuery): Query {
  const max = q.maximumVersionsToReturn;
  if (max !== undefined && (!Number.isInteger(max) || max < 0)) {
    throw badInput(e, 'maximumVersionsToReturn', 'expected an integer ≥ 0');
  }
  return { MaximumVersionsToReturn: max === undefined ? undefined : String(max), ChangeLogFilter: q.changeLogFilter };
}

function day(e: Endpoint, name: string, d: string | Date | undefined): string | undefined {
  if (d === undefined) return undefined;
  if (d instanceof Date) {
    if (Number.isNaN(d.getTime())) throw badInput(e, name, 'invalid Date');
    return d.toISOString().slice(0, 10);
  }
  if (typeof d !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(d) || Number.isNaN(Date.parse(d))) {
    throw badInput(e, name, 'expected a date as YYYY-MM-DD or a Date');
  }
  return d;
}

function deploymentsQuery(e: Endpoint, q: DeploymentsQuery): Query {
  return {
    MinDate: day(e, 'minDate', q.minDate),
    MaxDate: day(e, 'maxDate', q.maxDate),
    TargetEnvironmentKey: q.targetEnvironmentKey,
  };
}

/**
 * Validates simulator responses against the facts of the published LifeTime API v2 Swagger 2.0 file, kept in the
 * repository as ./lifetime-api-v2.facts.json (endpoints, status codes, response schemas and definitions, without
 * the prose; made by scripts/extract-swagger-facts.ts, `npm run swagger:facts`, which notes its source and date).
 *
 * For a request (method + path below the base path) and its status, the response entry of the matching path
 * template gives the schema; the `definitions` are compiled with ajv. Two tightenings make the check catch more:
 * every object definition is closed (`additionalProperties: false`), so a misspelt field is a violation; and
 * formats are checked (`date-time`, `int32`, `int64`). The one LifeTime date without a zone, the "never"
 * sentinel 1900-01-01T00:00:00, is accepted as a date-time.
 *
 * Statuses the Swagger does not document for a path are violations, except: 201 for `POST /deployments/`
 * (the Swagger says 200; LifeTime answers 201 with the new key, and clients accept both), checked against the
 * 200 entry; and 401/429/5xx (authentication and injected faults), whose bodies are checked against `Exception`.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SWAGGER_FACTS_PATH = join(__dirname, 'lifetime-api-v2.facts.json');

interface SwaggerResponse {
  schema?: Record<string, unknown>;
}
interface SwaggerOperation {
  produces?: string[];
  responses: Record<string, SwaggerResponse>;
}
interface Swagger {
  source: { name: string; madeOn: string };
  basePath: string;
  paths: Record<string, Record<string, SwaggerOperation>>;
  definitions: Record<string, Record<string, unknown>>;
}

export function loadSwagger(): Swagger {
  return JSON.parse(readFileSync(SWAGGER_FACTS_PATH, 'utf8')) as Swagger;
}

/** Deep copy with `$ref`s pointed at the compiled definitions and every object definition closed. */
function tighten(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tighten);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] = k === '$ref' && typeof v === 'string' ? v.replace('#/definitions/', 'swagger#/definitions/') : tighten(v);
  }
  if (out.properties && typeof out.properties === 'object' && out.additionalProperties === undefined)
    out.additionalProperties = false;
  return out;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})$/;
const NEVER = '1900-01-01T00:00:00';

export interface Violation {
  method: string;
  path: string;
  status: number;
  template?: string;
  problem: string;
}

export class SwaggerChecker {
  readonly swagger = loadSwagger();
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly compiled = new Map<string, ValidateFunction>();
  readonly violations: Violation[] = [];
  /** `METHOD template status` for every checked response. */
  readonly covered = new Set<string>();
  readonly templates: { method: string; template: string; re: RegExp; literals: number }[] = [];

  constructor() {
    this.ajv.addFormat('date-time', (s: string) => s === NEVER || (DATE_TIME.test(s) && !Number.isNaN(Date.parse(s))));
    this.ajv.addFormat('int32', {
      type: 'number',
      validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31,
    });
    this.ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
    this.ajv.addSchema({ $id: 'swagger', definitions: tighten(this.swagger.definitions) });
    for (const [template, ops] of Object.entries(this.swagger.paths)) {
      const segs = template.split('/').filter(Boolean);
      const re = new RegExp(
        `^/${segs.map((s) => (s.startsWith('{') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}/?$`,
        'i',
      );
      for (const method of Object.keys(ops))
        this.templates.push({
          method: method.toUpperCase(),
          template,
          re,
          literals: segs.filter((s) => !s.startsWith('{')).length,
        });
    }
  }

  /** The Swagger path template for a request path below the base path (most literal segments wins). */
  templateFor(method: string, path: string): string | undefined {
    const bare = path.split('?')[0]!;
    return this.templates
      .filter((t) => t.method === method && t.re.test(bare))
      .sort((a, b) => b.literals - a.literals)[0]?.template;
  }

  private validator(key: string, schema: Record<string, unknown>): ValidateFunction {
    let v = this.compiled.get(key);
    if (!v) {
      v = this.ajv.compile(tighten(schema) as object);
      this.compiled.set(key, v);
    }
    return v;
  }

  /** Checks one response; violations accumulate in `violations`. */
  check(method: string, path: string, res: { status: number; text: string; headers: Headers }): void {
    const bad = (problem: string, template?: string): void => {
      this.violations.push({ method, path, status: res.status, template, problem });
    };
    const template = this.templateFor(method, path);
    if (!template) return bad('no Swagger path matches this request');
    const op = this.swagger.paths[template]![method.toLowerCase()]!;
    const status = String(res.status);
    this.covered.add(`${method} ${template} ${status}`);
    let entry = op.responses[status];
    if (!entry && method === 'POST' && template === '/deployments/' && status === '201') entry = op.responses['200'];
    if (!entry && (res.status === 401 || res.status === 429 || res.status >= 500))
      entry = { schema: { $ref: '#/definitions/Exception' } };
    if (!entry)
      return bad(`status ${status} is not documented (documented: ${Object.keys(op.responses).join(', ')})`, template);
    if (!entry.schema) {
      if (res.status === 204 || res.status === 202) {
        if (res.text !== '') bad(`expected an empty body, got ${JSON.stringify(res.text.slice(0, 80))}`, template);
      }
      return;
    }
    const type = res.headers.get('content-type') ?? '';
    let body: unknown;
    if (entry.schema.type === 'string' && (op.produces ?? []).includes('text/plain')) {
      if (!type.startsWith('text/plain')) bad(`expected text/plain, got ${type}`, template);
      body = res.text;
    } else {
      if (!type.startsWith('application/json')) bad(`expected application/json, got ${type}`, template);
      try {
        body = JSON.parse(res.text);
      } catch {
        return bad('the body is not JSON', template);
      }
    }
    const validate = this.validator(`${method} ${template} ${status}`, entry.schema);
    if (!validate(body))
      for (const e of validate.errors ?? [])
        bad(`${e.instancePath || '(body)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`, template);
    if (res.status >= 400 && body && typeof body === 'object') {
      const b = body as { StatusCode?: unknown; Errors?: unknown };
      if (b.StatusCode !== res.status) bad(`Exception.StatusCode ${String(b.StatusCode)} ≠ HTTP ${status}`, template);
      if (!Array.isArray(b.Errors) || b.Errors.length === 0) bad('Exception.Errors is empty', template);
    }
  }
}

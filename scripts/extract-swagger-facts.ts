/**
 * `npm run swagger:facts -- --from <file> [--check]`: writes test/simulator/lifetime-api-v2.facts.json, the
 * facts of the published LifeTime Deployment API v2 Swagger file that the simulator's conformance test checks
 * against (test/simulator/swagger.ts), so the test needs nothing outside the repository.
 *
 * Kept: the base path; per path and method the `produces` list and the documented status codes with their
 * response schemas; every definition's structure (type, format, enum, items, properties, required, $ref).
 * Dropped: all prose and annotations (info text, summaries, descriptions, examples, defaults, readOnly, tags,
 * operation ids, parameters, response headers). Those do not change what a response body may be.
 *
 * The published file has a trailing-comma defect (one `,` before a `}`); it is dropped before JSON.parse.
 * `--from` names the published file (required: the repository does not hold it). `--check` compares the
 * in-repo facts with a fresh extraction (ignoring the date) and exits 1 when they differ.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as prettier from 'prettier';

const ROOT = path.resolve(__dirname, '..');
export const FACTS_FILE = path.join(ROOT, 'test', 'simulator', 'lifetime-api-v2.facts.json');

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

/** The schema keywords that decide what a body may be; everything else is prose or annotation. */
const SCHEMA_KEYS = ['$ref', 'type', 'format', 'enum', 'items', 'properties', 'required', 'additionalProperties'];
/** Keywords that only annotate; anything in neither list stops the extraction rather than being lost silently. */
const PROSE_KEYS = new Set(['description', 'title', 'default', 'example', 'x-example', 'readOnly']);

function isObj(v: Json | undefined): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A schema with only the structural keywords (recursively: items, each property, additionalProperties). */
function schemaFacts(schema: Json): Json {
  if (!isObj(schema)) return schema;
  const unknown = Object.keys(schema).filter((k) => !SCHEMA_KEYS.includes(k) && !PROSE_KEYS.has(k));
  if (unknown.length > 0) throw new Error(`unknown schema keyword(s) ${unknown.join(', ')}: extend SCHEMA_KEYS`);
  const out: Obj = {};
  for (const key of SCHEMA_KEYS) {
    const v = schema[key];
    if (v === undefined) continue;
    if (key === 'properties' && isObj(v)) {
      out.properties = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, schemaFacts(s)]));
    } else if ((key === 'items' || key === 'additionalProperties') && isObj(v)) {
      out[key] = schemaFacts(v);
    } else {
      out[key] = v;
    }
  }
  return out;
}

export function parsePublished(raw: string): Obj {
  // The published file has one trailing comma (`},\n      },`), which JSON.parse refuses.
  return JSON.parse(raw.replace(/,(\s*[}\]])/g, '$1')) as Obj;
}

export function extractFacts(raw: string, sourceName: string, madeOn: string): Obj {
  const swagger = parsePublished(raw);
  const info = isObj(swagger.info) ? swagger.info : {};
  const paths: Obj = {};
  for (const [template, ops] of Object.entries(swagger.paths as Obj)) {
    const methods: Obj = {};
    for (const [method, op] of Object.entries(ops as Obj)) {
      if (!isObj(op) || !isObj(op.responses)) continue;
      const responses: Obj = {};
      for (const [status, response] of Object.entries(op.responses)) {
        responses[status] = isObj(response) && response.schema ? { schema: schemaFacts(response.schema) } : {};
      }
      methods[method] = { produces: op.produces ?? [], responses };
    }
    paths[template] = methods;
  }
  const definitions = Object.fromEntries(
    Object.entries(swagger.definitions as Obj).map(([name, schema]) => [name, schemaFacts(schema)]),
  );
  return {
    source: {
      name: sourceName,
      title: info.title ?? null,
      apiVersion: info.version ?? null,
      swagger: swagger.swagger ?? null,
      sha256: createHash('sha256').update(raw).digest('hex'),
      madeOn,
      madeBy: 'scripts/extract-swagger-facts.ts (npm run swagger:facts)',
      note:
        'Facts only: endpoints (method, path, produces, status codes, response schemas) and definitions (property ' +
        'names, types, formats, enums, required fields, references). Descriptions, summaries, examples, defaults, ' +
        'readOnly, tags, operation ids, parameters and headers were dropped; the trailing comma in the published ' +
        'file was removed before parsing.',
    },
    basePath: swagger.basePath ?? '',
    paths,
    definitions,
  };
}

async function formatted(facts: Obj): Promise<string> {
  const options = (await prettier.resolveConfig(FACTS_FILE)) ?? {};
  return prettier.format(JSON.stringify(facts), { ...options, filepath: FACTS_FILE });
}

function withoutDate(text: string): unknown {
  const facts = JSON.parse(text) as { source: Record<string, unknown> };
  delete facts.source.madeOn;
  return facts;
}

async function main(argv: string[]): Promise<number> {
  const fromAt = argv.indexOf('--from');
  const from = fromAt >= 0 ? argv[fromAt + 1] : undefined;
  const check = argv.includes('--check');
  if (!from || from.startsWith('--')) {
    console.error(
      'swagger:facts: --from <file> is required: the published LifeTime API v2 Swagger file ' +
        '(npm run swagger:facts -- --from <lifetime-api-v2.swagger.json> [--check]). ' +
        `The tests do not need it: they read ${path.relative(ROOT, FACTS_FILE)}.`,
    );
    return 2;
  }
  const source = path.resolve(from);
  if (!existsSync(source)) {
    console.error(
      `swagger:facts: the published Swagger file is not at ${source}.\n` +
        `Pass it with \`npm run swagger:facts -- --from <lifetime-api-v2.swagger.json>\`. ` +
        `The tests do not need it: they read ${path.relative(ROOT, FACTS_FILE)}.`,
    );
    return 2;
  }
  const raw = readFileSync(source, 'utf8');
  const text = await formatted(extractFacts(raw, path.basename(source), new Date().toISOString().slice(0, 10)));
  if (check) {
    const current = existsSync(FACTS_FILE) ? readFileSync(FACTS_FILE, 'utf8') : '{"source":{}}';
    if (JSON.stringify(withoutDate(current)) !== JSON.stringify(withoutDate(text))) {
      console.error(`${path.relative(ROOT, FACTS_FILE)} differs from ${source}: run npm run swagger:facts`);
      return 1;
    }
    console.error(`${path.relative(ROOT, FACTS_FILE)} matches ${source}`);
    return 0;
  }
  writeFileSync(FACTS_FILE, text);
  const facts = JSON.parse(text) as { paths: Record<string, Obj>; definitions: Obj };
  const operations = Object.values(facts.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
  console.error(
    `wrote ${path.relative(ROOT, FACTS_FILE)}: ${Object.keys(facts.paths).length} paths, ${operations} operations, ` +
      `${Object.keys(facts.definitions).length} definitions (from ${source})`,
  );
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`swagger:facts failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}

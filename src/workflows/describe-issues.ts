/**
 * The zod error formatter: one line per field, naming the field, what is accepted and (briefly) what was given.
 * The workflow uses it for its input and signal payloads; the CLI passes its own field names (the flags).
 */
import type { z } from 'zod';

/** At most this much of a bad value is quoted back. */
const QUOTE_MAX = 60;

export type FieldName = (path: readonly PropertyKey[]) => string;

const schemaPath: FieldName = (path) => (path.length ? path.map(String).join('.') : '(input)');

/** A short JSON rendering of a bad value: long values are cut and say how long they were. */
export function quoteValue(v: unknown): string {
  if (typeof v === 'string' && v.length > QUOTE_MAX) {
    return `${JSON.stringify(v.slice(0, QUOTE_MAX))}… (${v.length} characters)`;
  }
  const json = JSON.stringify(v) ?? String(v);
  return json.length <= QUOTE_MAX ? json : `${json.slice(0, QUOTE_MAX)}… (${json.length} characters as JSON)`;
}

/** `policies.conflicts: conflicts must be one of: gate, reject (got "x")`, one issue per line part, `; `-joined. */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  input?: unknown,
  fieldName: FieldName = schemaPath,
): string {
  return issues
    .map((issue) => {
      let got = '';
      if (input !== undefined) {
        let v: unknown = input;
        for (const p of issue.path) v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
        if (v !== undefined && (typeof v !== 'object' || v === null)) got = ` (got ${quoteValue(v)})`;
      }
      return `${fieldName(issue.path)}: ${issue.message}${got}`;
    })
    .join('; ');
}

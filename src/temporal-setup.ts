/** Temporal-side setup shared by the worker, the demo and the tests: register the product's search attributes. */
import type { NativeConnection } from '@temporalio/worker';
import { indexedValueType } from './search-attribute-types';
import { allSearchAttributeKeys } from './workflows/search-attributes';

/** Adds the search attributes that the namespace lacks; returns the names it added. */
export async function ensureSearchAttributes(connection: NativeConnection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const have = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = allSearchAttributeKeys.filter((k) => !have.has(k.name));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((k) => [k.name, indexedValueType(k.type)])),
  });
  return missing.map((k) => k.name);
}

/** Temporal-side setup shared by the worker, the demo and the tests: register the product's search attributes. */
import type { temporal } from '@temporalio/proto';
import { indexedValueType } from './search-attribute-types';
import { allSearchAttributeKeys } from './workflows/search-attributes';

/** What both the worker's NativeConnection and the client's Connection have. */
export interface OperatorConnection {
  operatorService: Pick<
    temporal.api.operatorservice.v1.OperatorService,
    'listSearchAttributes' | 'addSearchAttributes'
  >;
}

/** Adds the search attributes that the namespace lacks; returns the names it added. */
export async function ensureSearchAttributes(connection: OperatorConnection, namespace: string): Promise<string[]> {
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

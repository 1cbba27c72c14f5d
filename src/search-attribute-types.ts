/**
 * How a search attribute's type is spelled where the product registers its search attributes. There is one
 * definition of the types, the SDK's `SearchAttributeType` (`KEYWORD`, `KEYWORD_LIST`, …); both spellings are
 * derived from it, so a key defined in src/workflows/search-attributes.ts registers the same way everywhere:
 *  - the operator API (`addSearchAttributes`, used by the worker): `IndexedValueType.INDEXED_VALUE_TYPE_<type>`;
 *  - the Temporal CLI (`server start-dev --search-attribute Name=Type`, used by the dev server, and
 *    `operator search-attribute create --type Type`, used by docker-compose.yml): the SDK's metadata name
 *    (`Keyword`, `KeywordList`, …), the same one @temporalio/testing passes to the CLI.
 */
import { TypedSearchAttributes, type SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/** The operator API's value type of a search-attribute type (`KEYWORD_LIST` → INDEXED_VALUE_TYPE_KEYWORD_LIST). */
export function indexedValueType(type: SearchAttributeType): temporal.api.enums.v1.IndexedValueType {
  return temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${type}`];
}

/** The Temporal CLI's name of a search-attribute type (`KEYWORD_LIST` → `KeywordList`). */
export function cliTypeName(type: SearchAttributeType): string {
  return TypedSearchAttributes.toMetadataType(type);
}

/** `--search-attribute Name=Type` arguments of `temporal server start-dev` for these keys. */
export function cliSearchAttributeArgs(keys: readonly { name: string; type: SearchAttributeType }[]): string[] {
  return keys.flatMap((k) => ['--search-attribute', `${k.name}=${cliTypeName(k.type)}`]);
}

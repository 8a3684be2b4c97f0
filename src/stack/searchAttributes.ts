/**
 * The app's custom Temporal search attributes, as listed in temporal/search-attributes.txt: the one list
 * that temporal/setup.sh registers on a cluster and the local dev server gets as `--search-attribute` flags.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TemporalSearchAttributeType } from './types';

const TYPES: readonly TemporalSearchAttributeType[] = [
  'Text',
  'Keyword',
  'Int',
  'Double',
  'Bool',
  'Datetime',
  'KeywordList',
];

/** temporal/search-attributes.txt under the repository root. */
export function searchAttributesFile(repoRoot: string): string {
  return path.join(repoRoot, 'temporal', 'search-attributes.txt');
}

/** Name -> type of every attribute in the file (`NAME TYPE meaning`; `#` comments and blank lines skipped). */
export function readSearchAttributes(file: string): Record<string, TemporalSearchAttributeType> {
  const attributes: Record<string, TemporalSearchAttributeType> = {};
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      const [name, type] = line.trim().split(/\s+/);
      if (!name || name.startsWith('#')) return;
      if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name) || !TYPES.includes(type as TemporalSearchAttributeType)) {
        throw new Error(`${file}:${i + 1}: expected "NAME TYPE ..." with TYPE one of ${TYPES.join(', ')}`);
      }
      attributes[name] = type as TemporalSearchAttributeType;
    });
  return attributes;
}

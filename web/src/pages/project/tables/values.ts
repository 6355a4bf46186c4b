/** How a column's value is typed in a form, checked before it is sent, and where Postgres's complaint belongs. */
import type { ColumnInfo } from './catalog.ts';

export type InputKind = 'boolean' | 'enum' | 'json' | 'number' | 'text' | 'long-text';

export function inputKind(column: ColumnInfo): InputKind {
  if (column.typname === 'bool') return 'boolean';
  if (column.enumValues) return 'enum';
  if (column.typname === 'json' || column.typname === 'jsonb') return 'json';
  if (column.category === 'N' && column.typname !== 'money') return 'number';
  if (column.typname === 'text' || column.category === 'A') return 'long-text';
  return 'text';
}

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const SPECIAL_FLOATS = /^[+-]?(nan|infinity|inf)$/i;
const UUID = /^\{?[0-9a-f]{8}-?([0-9a-f]{4}-?){3}[0-9a-f]{12}\}?$/i;
const INTEGER_TYPES = new Set(['int2', 'int4', 'int8', 'oid']);

/** What is wrong with a typed value, in words; undefined when it looks right (Postgres has the last word). */
export function valueProblem(column: ColumnInfo, text: string): string | undefined {
  const value = text.trim();
  switch (inputKind(column)) {
    case 'number':
      if (INTEGER_TYPES.has(column.typname)) return INTEGER.test(value) ? undefined : 'Enter a whole number, e.g. 42';
      return DECIMAL.test(value) || SPECIAL_FLOATS.test(value) ? undefined : 'Enter a number, e.g. 3.14';
    case 'json':
      try {
        JSON.parse(text);
        return undefined;
      } catch {
        return 'Enter valid JSON, e.g. {"key": "value"} or "text"';
      }
    case 'boolean':
      return /^(true|false)$/.test(value) ? undefined : 'Choose true or false';
    default:
      if (column.typname === 'uuid' && !UUID.test(value)) return 'Enter a UUID, e.g. 123e4567-e89b-12d3-a456-426614174000';
      return undefined;
  }
}

/** An example shown in an empty input. */
export function placeholderOf(column: ColumnInfo): string | undefined {
  switch (column.typname) {
    case 'date':
      return 'YYYY-MM-DD';
    case 'timestamptz':
      return 'YYYY-MM-DD HH:MM:SS+00';
    case 'timestamp':
      return 'YYYY-MM-DD HH:MM:SS';
    case 'time':
    case 'timetz':
      return 'HH:MM:SS';
    case 'uuid':
      return '123e4567-e89b-12d3-a456-426614174000';
  }
  if (column.category === 'A') return '{first,second}';
  return undefined;
}

/**
 * The column a Postgres error is about, when it says: `column "title"` in the message, `Key (email)=(…)` in the
 * detail, or the rejected value itself (`invalid input syntax for type integer: "abc"`) matching one field's text.
 */
export function columnOfError(message: string, detail: string | null, texts: Record<string, string>): string | undefined {
  const named = /column "((?:[^"]|"")+)"/.exec(message)?.[1] ?? /Key \(([^,)]+)[,)]/.exec(detail ?? '')?.[1];
  if (named && named.replaceAll('""', '"') in texts) return named.replaceAll('""', '"');
  const rejected = /: "(.*)"$/.exec(message)?.[1];
  if (rejected !== undefined) return Object.keys(texts).find((name) => texts[name] === rejected);
  return undefined;
}

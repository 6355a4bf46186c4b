/**
 * What the table editor reads and writes, as SQL: the project schema's tables and columns (pg_catalog), a page of
 * rows, and a row inserted, changed or deleted by its primary key. Names are quoted; values are always parameters.
 */
import { quoteIdent, qualified } from '../database/sql.ts';
import { records, type SqlStatementResult } from '../database/runner.ts';

export interface TableInfo {
  name: string;
  /** Row level security is on. */
  rls: boolean;
}

export interface ColumnInfo {
  name: string;
  /** As Postgres writes it: "character varying(20)", "timestamp with time zone". */
  type: string;
  /** pg_type.typname: int8, text, _text … */
  typname: string;
  /** pg_type.typcategory: N numeric, B boolean, D date/time, S string, U user (uuid, json), A array, E enum … */
  category: string;
  nullable: boolean;
  default: string | null;
  /** Generated always as identity, or a generated column: never written here. */
  generatedAlways: boolean;
  identity: boolean;
  /** 1-based place in the primary key, 0 when not part of it. */
  primaryKey: number;
  enumValues: string[] | null;
}

export const TABLES_SQL = `select c.relname as name, c.relrowsecurity as rls
from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where n.nspname = $1 and c.relkind in ('r', 'p') and not c.relispartition
order by c.relname`;

export const COLUMNS_SQL = `select a.attname as name,
  pg_catalog.format_type(a.atttypid, a.atttypmod) as type,
  t.typname, t.typcategory as category,
  not a.attnotnull as nullable,
  pg_catalog.pg_get_expr(d.adbin, d.adrelid) as "default",
  a.attidentity as identity, a.attgenerated as generated,
  coalesce((select k.n from unnest(i.indkey::int2[]) with ordinality as k(attnum, n) where k.attnum = a.attnum), 0) as primary_key,
  (select json_agg(e.enumlabel order by e.enumsortorder) from pg_catalog.pg_enum e where e.enumtypid = a.atttypid) as enum_values
from pg_catalog.pg_attribute a
join pg_catalog.pg_class c on c.oid = a.attrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
join pg_catalog.pg_type t on t.oid = a.atttypid
left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
left join pg_catalog.pg_index i on i.indrelid = c.oid and i.indisprimary
where n.nspname = $1 and c.relname = $2 and a.attnum > 0 and not a.attisdropped
order by a.attnum`;

const truthy = (value: string | null) => value === 't' || value === 'true';

export function parseTables(result: SqlStatementResult): TableInfo[] {
  return records(result).map((row) => ({ name: row.name ?? '', rls: truthy(row.rls) }));
}

export function parseColumns(result: SqlStatementResult): ColumnInfo[] {
  return records(result).map((row) => ({
    name: row.name ?? '',
    type: row.type ?? '',
    typname: row.typname ?? '',
    category: row.category ?? '',
    nullable: truthy(row.nullable),
    default: row.default,
    identity: !!row.identity,
    generatedAlways: row.identity === 'a' || !!row.generated,
    primaryKey: Number(row.primary_key ?? 0),
    enumValues: row.enum_values ? (JSON.parse(row.enum_values) as string[]) : null,
  }));
}

export const primaryKeyOf = (columns: ColumnInfo[]) =>
  columns.filter((column) => column.primaryKey > 0).sort((a, b) => a.primaryKey - b.primaryKey);

export type FilterOperator = '=' | '<>' | '>' | '<' | 'ilike' | 'is null' | 'is not null';

export const FILTER_OPERATORS: { value: FilterOperator; label: string }[] = [
  { value: '=', label: 'equals (=)' },
  { value: '<>', label: 'does not equal (<>)' },
  { value: '>', label: 'greater than (>)' },
  { value: '<', label: 'less than (<)' },
  { value: 'ilike', label: 'matches, any case (ilike)' },
  { value: 'is null', label: 'is null' },
  { value: 'is not null', label: 'is not null' },
];

export const takesValue = (operator: FilterOperator) => operator !== 'is null' && operator !== 'is not null';

export interface Filter {
  column: string;
  operator: FilterOperator;
  value: string;
}

export interface Sort {
  column: string;
  direction: 'asc' | 'desc';
}

/** Types Postgres cannot compare with = or order: compared and sorted as their text. */
const UNORDERED = new Set(['json', 'xml', 'point', 'line', 'lseg', 'box', 'path', 'polygon', 'circle']);

const comparable = (column: ColumnInfo | undefined, name: string) =>
  column && UNORDERED.has(column.typname) ? `t.${quoteIdent(name)}::text` : `t.${quoteIdent(name)}`;

export const PAGE_SIZE = 50;

/** A page of rows, with the count of all the rows the filter matches (first column of the result). */
export function rowsQuery(schema: string, table: string, columns: ColumnInfo[], options: { filter?: Filter; sort?: Sort; page: number }) {
  const params: string[] = [];
  let where = '';
  const { filter, sort } = options;
  if (filter) {
    const column = columns.find((c) => c.name === filter.column);
    const name = quoteIdent(filter.column);
    if (!takesValue(filter.operator)) where = `where t.${name} ${filter.operator}`;
    else {
      params.push(filter.value);
      // ilike is a text operator: any column is matched by its text.
      where = filter.operator === 'ilike' ? `where t.${name}::text ilike $1` : `where ${comparable(column, filter.column)} ${filter.operator} $1`;
    }
  }
  const order: string[] = [];
  if (sort) order.push(`${comparable(columns.find((c) => c.name === sort.column), sort.column)} ${sort.direction}`);
  // The primary key last, so that pages do not overlap or skip rows.
  for (const key of primaryKeyOf(columns)) if (key.name !== sort?.column) order.push(`t.${quoteIdent(key.name)}`);
  const sql = [
    `select count(*) over () as total, t.* from ${qualified(schema, table)} t`,
    where,
    order.length ? `order by ${order.join(', ')}` : '',
    `limit ${PAGE_SIZE} offset ${options.page * PAGE_SIZE}`,
  ]
    .filter(Boolean)
    .join('\n');
  return { sql, params };
}

/** One value of a row form: left to the column's default, NULL, or the text typed. */
export type FieldValue = { kind: 'default' } | { kind: 'null' } | { kind: 'value'; text: string };

export function insertQuery(schema: string, table: string, values: Array<[string, FieldValue]>) {
  const given = values.filter(([, value]) => value.kind !== 'default');
  if (given.length === 0) return { sql: `insert into ${qualified(schema, table)} default values returning *`, params: [] };
  const params: Array<string | null> = [];
  const names = given.map(([name]) => quoteIdent(name));
  const placeholders = given.map(([, value]) => {
    params.push(value.kind === 'value' ? value.text : null);
    return `$${params.length}`;
  });
  return {
    sql: `insert into ${qualified(schema, table)} (${names.join(', ')})\nvalues (${placeholders.join(', ')})\nreturning *`,
    params,
  };
}

/** The row's primary key values, in key order, as parameters after the others. */
function keyCondition(key: Array<[string, string | null]>, params: Array<string | null>) {
  return key
    .map(([name, value]) => {
      if (value === null) return `${quoteIdent(name)} is null`;
      params.push(value);
      return `${quoteIdent(name)} = $${params.length}`;
    })
    .join(' and ');
}

export function updateQuery(schema: string, table: string, values: Array<[string, FieldValue]>, key: Array<[string, string | null]>) {
  const params: Array<string | null> = [];
  const assignments = values.map(([name, value]) => {
    if (value.kind === 'default') return `${quoteIdent(name)} = default`;
    params.push(value.kind === 'value' ? value.text : null);
    return `${quoteIdent(name)} = $${params.length}`;
  });
  const condition = keyCondition(key, params);
  return { sql: `update ${qualified(schema, table)}\nset ${assignments.join(', ')}\nwhere ${condition}\nreturning *`, params };
}

export function deleteQuery(schema: string, table: string, key: Array<[string, string | null]>) {
  const params: Array<string | null> = [];
  const condition = keyCondition(key, params);
  return { sql: `delete from ${qualified(schema, table)} where ${condition}`, params };
}

/**
 * Listing a bucket, as storage-js asks: `list` (POST /object/list/:bucket) shows one level, folders and files, with
 * search, sort and offset paging, like Supabase's storage.search(); `listV2` (POST /object/list-v2/:bucket) lists
 * every object under a prefix, or one level of it `with_delimiter`, in pages joined by an opaque cursor (the sort
 * value and name of the last item), which stays right while objects are added or removed. Both run as the caller,
 * so RLS decides what is listed.
 */
import type { FastifyInstance } from 'fastify';
import { type StorageContext, storageContext } from '../context.ts';
import { invalidInput } from '../errors.ts';
import { bucketId } from '../input.ts';
import type { StorageDependencies } from '../routes.ts';

export function listRoutes(app: FastifyInstance, { s3 }: StorageDependencies) {
  app.post('/object/list/:bucket', async (request) => {
    const context = storageContext(request, s3);
    const bucket = bucketId((request.params as { bucket: string }).bucket);
    return listObjects(context, bucket, (request.body ?? {}) as ListBody);
  });

  app.post('/object/list-v2/:bucket', async (request) => {
    const context = storageContext(request, s3);
    const bucket = bucketId((request.params as { bucket: string }).bucket);
    return listObjectsV2(context, bucket, (request.body ?? {}) as ListV2Body);
  });
}

type SortBody = { column?: unknown; order?: unknown } | undefined;

/** The sort column (one of `columns`) and order a body asks for; by name, ascending, when it does not say. */
function sortOf(sortBy: SortBody, columns: string[]) {
  const column = String(sortBy?.column ?? 'name');
  const order = String(sortBy?.order ?? 'asc').toLowerCase();
  if (!columns.includes(column) || (order !== 'asc' && order !== 'desc')) {
    throw invalidInput(`sortBy is a column (${columns.join(', ')}) and asc or desc`);
  }
  return { column, order };
}

function limitOf(value: unknown, fallback: number): number {
  const limit = Number(value ?? fallback);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalidInput('limit is 1 to 1,000');
  return limit;
}

const prefixOf = (value: unknown) => (typeof value === 'string' ? value.replace(/^\/+/, '') : '');

interface ListBody {
  prefix?: unknown;
  limit?: unknown;
  offset?: unknown;
  search?: unknown;
  sortBy?: SortBody;
}

/** One level of a bucket, as folders (id null) and files, like Supabase's storage.search(). */
async function listObjects(context: StorageContext, bucket: string, body: ListBody) {
  const prefix = prefixOf(body.prefix);
  const folder = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  const limit = limitOf(body.limit, 100);
  const offset = Number(body.offset ?? 0);
  if (!Number.isInteger(offset) || offset < 0) throw invalidInput('offset is at least 0');
  const search = typeof body.search === 'string' ? body.search : '';
  const { column, order } = sortOf(body.sortBy, ['name', 'updated_at', 'created_at', 'last_accessed_at']);
  const { rows } = await context.asCaller((client) =>
    client.query(
      `with matched as (
         select o.*, substr(o.name, $2::int + 1) as rest from ${context.schema}.objects o
         where o.bucket_id = $1 and starts_with(o.name, $3)
       ), items as (
         select split_part(rest, '/', 1) as name, null::uuid as id, null::timestamptz as updated_at,
                null::timestamptz as created_at, null::timestamptz as last_accessed_at, null::jsonb as metadata
         from matched where position('/' in rest) > 0 group by 1
         union all
         select rest, id, updated_at, created_at, last_accessed_at, metadata from matched where position('/' in rest) = 0
       )
       select * from items where starts_with(lower(name), lower($4))
       order by ${column === 'name' ? 'name collate "C"' : column} ${order} nulls last, name collate "C"
       limit $5 offset $6`,
      [bucket, folder.length, folder, search, limit, offset],
    ),
  );
  return rows;
}

interface ListV2Body {
  prefix?: unknown;
  limit?: unknown;
  cursor?: unknown;
  with_delimiter?: unknown;
  sortBy?: SortBody;
}

/** Where a page ended: the last item's sort value (as text) and its key. */
interface Cursor {
  value: string;
  key: string;
}

const encodeCursor = (cursor: Cursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

function decodeCursor(value: unknown): Cursor | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  try {
    const cursor = JSON.parse(Buffer.from(String(value), 'base64url').toString());
    if (typeof cursor.value === 'string' && typeof cursor.key === 'string') return cursor;
  } catch {}
  throw invalidInput('cursor is not one this API returned');
}

interface V2Row {
  key: string;
  folder: boolean;
  sort_value: string;
  id: string | null;
  updated_at: Date | null;
  created_at: Date | null;
  last_accessed_at: Date | null;
  metadata: object | null;
}

/**
 * Every object under the prefix, or with `with_delimiter` the folders and objects at the prefix's level (S3's
 * CommonPrefixes: a folder's key is the prefix up to and with the next `/`), a page at a time. Names are keys in the
 * bucket, what download takes. With folders, the order is by key.
 */
async function listObjectsV2(context: StorageContext, bucket: string, body: ListV2Body) {
  const prefix = prefixOf(body.prefix);
  const limit = limitOf(body.limit, 1000);
  const delimited = body.with_delimiter === true;
  const { column, order } = sortOf(body.sortBy, ['name', 'updated_at', 'created_at']);
  if (delimited && column !== 'name') throw invalidInput('with_delimiter lists by name only');
  const after = decodeCursor(body.cursor);
  const sortValue = column === 'name' ? 'key collate "C"' : column;
  const items = delimited
    ? `select $2 || split_part(substr(name, length($2) + 1), '/', 1) || '/' as key, true as folder,
              null::uuid as id, null::timestamptz as updated_at, null::timestamptz as created_at,
              null::timestamptz as last_accessed_at, null::jsonb as metadata
       from objects where position('/' in substr(name, length($2) + 1)) > 0 group by 1
       union all
       select name, false, id, updated_at, created_at, last_accessed_at, metadata
       from objects where position('/' in substr(name, length($2) + 1)) = 0`
    : 'select name as key, false as folder, id, updated_at, created_at, last_accessed_at, metadata from objects';
  const { rows } = await context.asCaller((client) =>
    client.query<V2Row>(
      `with objects as (select * from ${context.schema}.objects where bucket_id = $1 and starts_with(name, $2)),
       items as (${items})
       select *, ${column === 'name' ? 'key' : column}::text as sort_value from items
       where $3::text is null
          or (${sortValue}, key collate "C") ${order === 'asc' ? '>' : '<'}
             ($4::text::${column === 'name' ? 'text collate "C"' : 'timestamptz'}, $3::text collate "C")
       order by ${sortValue} ${order}, key collate "C" ${order}
       limit $5`,
      [bucket, prefix, after?.key ?? null, after?.value ?? null, limit + 1],
    ),
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    hasNext: rows.length > limit,
    nextCursor: rows.length > limit && last ? encodeCursor({ value: last.sort_value, key: last.key }) : undefined,
    folders: page.filter((row) => row.folder).map((row) => ({ name: row.key.slice(0, -1), key: row.key })),
    objects: page
      .filter((row) => !row.folder)
      .map(({ key, id, updated_at, created_at, last_accessed_at, metadata }) => ({
        name: key,
        key,
        id,
        updated_at,
        created_at,
        last_accessed_at,
        metadata,
      })),
  };
}

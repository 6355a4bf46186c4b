/**
 * Buckets: `/bucket`, as storage-js's StorageBucketApi calls it. Run as the caller: RLS on buckets decides (no
 * policy at first, so only the service role manages buckets until the project writes some).
 */
import type { FastifyInstance } from 'fastify';
import { type StorageContext, objectKey, storageContext } from '../context.ts';
import { bucketNotFound, StorageError } from '../errors.ts';
import { bucketId, fileSizeLimit, mimeTypes } from '../input.ts';
import type { StorageDependencies } from '../routes.ts';
import { removeBytes } from './s3-bytes.ts';

export const BUCKET_COLUMNS = `id, id as name, owner, public, file_size_limit::float8 as file_size_limit, allowed_mime_types, created_at, updated_at`;

interface BucketBody {
  id?: unknown;
  name?: unknown;
  public?: unknown;
  file_size_limit?: unknown;
  allowed_mime_types?: unknown;
}

export function bucketRoutes(app: FastifyInstance, { s3 }: StorageDependencies) {
  app.post('/bucket', async (request) => {
    const context = storageContext(request, s3);
    const body = (request.body ?? {}) as BucketBody;
    const id = bucketId(body.id ?? body.name);
    const values = [id, body.public === true, fileSizeLimit(body.file_size_limit), mimeTypes(body.allowed_mime_types)];
    await context.asCaller((client) =>
      client.query(
        `insert into ${context.schema}.buckets (id, public, file_size_limit, allowed_mime_types) values ($1, $2, $3, $4)`,
        values,
      ),
    );
    return { name: id };
  });

  app.get('/bucket', async (request) => {
    const context = storageContext(request, s3);
    const { rows } = await context.asCaller((client) =>
      client.query(`select ${BUCKET_COLUMNS} from ${context.schema}.buckets order by id collate "C"`),
    );
    return rows;
  });

  app.get('/bucket/:id', async (request) => {
    const context = storageContext(request, s3);
    return findBucket(context, (request.params as { id: string }).id);
  });

  app.put('/bucket/:id', async (request) => {
    const context = storageContext(request, s3);
    const id = bucketId((request.params as { id: string }).id);
    const body = (request.body ?? {}) as BucketBody;
    const assignments: string[] = ['updated_at = now()'];
    const values: unknown[] = [id];
    const set = (column: string, value: unknown) => assignments.push(`${column} = $${values.push(value)}`);
    if (body.public !== undefined) set('public', body.public === true);
    if (body.file_size_limit !== undefined) set('file_size_limit', fileSizeLimit(body.file_size_limit));
    if (body.allowed_mime_types !== undefined) set('allowed_mime_types', mimeTypes(body.allowed_mime_types));
    const { rowCount } = await context.asCaller((client) =>
      client.query(`update ${context.schema}.buckets set ${assignments.join(', ')} where id = $1`, values),
    );
    if (!rowCount) throw bucketNotFound();
    return { message: 'Successfully updated' };
  });

  app.post('/bucket/:id/empty', async (request) => {
    const context = storageContext(request, s3);
    const id = bucketId((request.params as { id: string }).id);
    const ids = await context.asCaller(async (client) => {
      const { rowCount } = await client.query(`select from ${context.schema}.buckets where id = $1`, [id]);
      if (!rowCount) throw bucketNotFound();
      const { rows } = await client.query<{ id: string }>(
        `delete from ${context.schema}.objects where bucket_id = $1 returning id`,
        [id],
      );
      return rows.map((row) => row.id);
    });
    await removeBytes(context, ids.map(objectKey));
    return { message: 'Successfully emptied' };
  });

  app.delete('/bucket/:id', async (request) => {
    const context = storageContext(request, s3);
    const id = bucketId((request.params as { id: string }).id);
    // Counted as the service role: objects the caller cannot see still keep the bucket (and the foreign key too).
    const [{ rows }] = await context.statements('service', (literal) => [
      `select exists (select from ${context.schema}.objects where bucket_id = ${literal(id)}) as used`,
    ]);
    await context.asCaller(async (client) => {
      const { rowCount } = await client.query(`select from ${context.schema}.buckets where id = $1`, [id]);
      if (!rowCount) throw bucketNotFound();
      if (rows[0].used) throw new StorageError(409, 'invalid_request', 'The bucket you tried to delete is not empty');
      const deleted = await client.query(`delete from ${context.schema}.buckets where id = $1`, [id]);
      if (!deleted.rowCount) throw new StorageError(403, 'unauthorized', 'You may not delete this bucket');
    });
    return { message: 'Successfully deleted' };
  });
}

export interface BucketRow {
  id: string;
  name: string;
  public: boolean;
  file_size_limit: number | null;
  allowed_mime_types: string[] | null;
}

/** The bucket if the caller (or the service role) may see it, in one round trip. */
export async function findBucket(context: StorageContext, rawId: string, as: 'caller' | 'service' = 'caller') {
  const [{ rows }] = await context.statements(as, (literal) => [
    `select ${BUCKET_COLUMNS} from ${context.schema}.buckets where id = ${literal(bucketId(rawId))}`,
  ]);
  if (!rows[0]) throw bucketNotFound();
  return rows[0] as BucketRow;
}

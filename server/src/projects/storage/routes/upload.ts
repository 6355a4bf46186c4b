/**
 * Uploads: `POST /object/:bucket/*` (create; `x-upsert: true` overwrites) and `PUT /object/:bucket/*` (overwrite),
 * with the bytes as the raw body (storage-js sends Buffers, ArrayBuffers, strings and streams so) or as the last part
 * of a multipart/form-data body (Blobs and Files: ../multipart.ts), streamed either way. The caller's
 * right to write is checked first (the row is tried as the caller and rolled back), the bytes then stream to S3
 * under a new id, and only then is the row written, as the caller, in one transaction; if anything fails the new
 * bytes are removed, so a failed upload leaves neither row nor bytes.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { type Literal, literalFor } from '../../../db/transactions.ts';
import { MAX_OBJECT_BYTES } from '../../../storage/s3.ts';
import { type StorageContext, objectKey, storageContext } from '../context.ts';
import type { EarlyReads } from '../early-reads.ts';
import { bucketNotFound, StorageError, tooLarge } from '../errors.ts';
import { bucketId, contentType, mimeAllowed, objectName, userMetadata } from '../input.ts';
import { multipartBoundary, multipartFile } from '../multipart.ts';
import type { StorageDependencies } from '../routes.ts';
import { BUCKET_COLUMNS, type BucketRow } from './bucket.ts';
import { putBytes, removeBytes } from './s3-bytes.ts';
import { verifyUploadToken } from './sign.ts';

class RollBack extends Error {}

export function uploadRoutes(app: FastifyInstance, { s3, earlyReads }: StorageDependencies) {
  // Bodies stay unread here: the handler streams request.raw to S3.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  app.post('/object/:bucket/*', (request, reply) =>
    upload(storageContext(request, s3), earlyReads, request, reply, { upsert: request.headers['x-upsert'] === 'true' }),
  );
  app.put('/object/:bucket/*', (request, reply) => upload(storageContext(request, s3), earlyReads, request, reply, { upsert: true }));

  // A signed upload URL's token stands for the caller who made it: the upload runs as the service role, for them.
  app.put('/object/upload/sign/:bucket/*', { config: { apikeyOptional: true } }, async (request, reply) => {
    const context = storageContext(request, s3);
    const { bucket, '*': name } = request.params as { bucket: string; '*': string };
    const grant = await verifyUploadToken(context, (request.query as { token?: unknown }).token, bucket, name);
    return upload(context, earlyReads, request, reply, { upsert: grant.upsert, asService: true, owner: grant.owner });
  });
}

interface UploadOptions {
  upsert: boolean;
  /** Signed uploads: permission was checked when the URL was made. */
  asService?: boolean;
  owner?: string | null;
}

/** Whether the caller may write `name` (the row is tried and rolled back); a signed upload URL checks this first. */
export async function checkUpload(context: StorageContext, bucket: string, name: string, upsert: boolean) {
  const row: ObjectRowValues = { id: randomUUID(), bucket, name, size: 0, mimeType: null, metadata: {}, owner: null, userMetadata: null };
  await context
    .asCaller(async (client) => {
      const results: pg.QueryResult[] = [];
      for (const statement of rowWrite(context, upsert, row, literalFor(client))) results.push(await client.query(statement));
      if (!written(results).rowCount) throw duplicate();
      throw new RollBack();
    })
    .catch((error) => {
      if (!(error instanceof RollBack)) throw error;
    });
}

/**
 * The bucket, with what the project stores less the object an upsert would replace (under a quota; else 0), in one
 * round trip as the service role: with the upload's size, that is what the plan's quota (per project) is checked
 * against, before any byte is sent. Uploads running at the same moment can together pass it by their sizes.
 */
async function uploadTarget(context: StorageContext, rawBucket: string, name: string, quota: boolean) {
  const id = bucketId(rawBucket);
  const [{ rows }] = await context.statements('service', (literal) => [
    `select ${BUCKET_COLUMNS}, ${
      quota
        ? `(select coalesce(sum(size), 0)::float8 from ${context.schema}.objects where (bucket_id, name) <> (${literal(id)}, ${literal(name)}))`
        : '0'
    } as stored from ${context.schema}.buckets where id = ${literal(id)}`,
  ]);
  if (!rows[0]) throw bucketNotFound();
  const { stored, ...bucket } = rows[0] as BucketRow & { stored: number };
  return { bucket, stored };
}

interface ObjectRowValues {
  id: string;
  bucket: string;
  name: string;
  size: number;
  mimeType: string | null;
  metadata: object;
  owner: string | null;
  userMetadata: object | null;
}

/**
 * The statements that insert the row (or, with upsert, replace the one there, whose id the first of two then reads
 * and locks), as whoever runs them. No RETURNING: that would need the caller to be able to read the row too, which
 * an insert-only policy does not give. Upsert needs select and update as well, as in Supabase.
 */
function rowWrite(context: StorageContext, upsert: boolean, row: ObjectRowValues, literal: Literal): string[] {
  const json = (value: object | null) => literal(value && JSON.stringify(value));
  const insert = `insert into ${context.schema}.objects (id, bucket_id, name, size, mime_type, metadata, owner, user_metadata)
     values (${literal(row.id)}, ${literal(row.bucket)}, ${literal(row.name)}, ${literal(row.size)}, ${literal(row.mimeType)},
             ${json(row.metadata)}, coalesce(${literal(row.owner)}::uuid, canopy.uid()), ${json(row.userMetadata)})
     on conflict ${
       upsert
         ? `(bucket_id, name) do update set id = excluded.id, size = excluded.size, mime_type = excluded.mime_type, metadata = excluded.metadata,
              owner = excluded.owner, user_metadata = excluded.user_metadata, updated_at = now(), last_accessed_at = now()`
         : // Without a conflict target: with one, Postgres would also require the caller to read the row.
           'do nothing'
     }`;
  if (!upsert) return [insert];
  return [`select id from ${context.schema}.objects where bucket_id = ${literal(row.bucket)} and name = ${literal(row.name)} for update`, insert];
}

/** What rowWrite's statements did: whether the row was written, and the id of the one it replaced. */
function written(results: pg.QueryResult[]): { rowCount: number | null; oldId: string | null } {
  return { rowCount: results.at(-1)!.rowCount, oldId: results.length > 1 ? (results[0].rows[0]?.id ?? null) : null };
}

async function upload(context: StorageContext, earlyReads: EarlyReads, request: FastifyRequest, reply: FastifyReply, options: UploadOptions) {
  const { upsert } = options;
  const params = request.params as { bucket: string; '*': string };
  const name = objectName(params['*']);
  const limit = context.entry.storageBytesLimit;
  const { bucket, stored } = await uploadTarget(context, params.bucket, name, limit !== null);
  const declared = request.headers['content-length'];
  if (declared === undefined || !/^\d+$/.test(declared)) {
    throw new StorageError(411, 'missing_content_length', 'An upload must declare its Content-Length');
  }
  const boundary = multipartBoundary(request.headers['content-type']);
  let body: Readable = request.raw;
  let size = Number(declared);
  let mimeType = contentType(request.headers['content-type']);
  let cacheControl = String(request.headers['cache-control'] ?? 'max-age=3600');
  const metadataHeader = request.headers['x-metadata'];
  let metadataJson = metadataHeader === undefined ? undefined : Buffer.from(String(metadataHeader), 'base64').toString();
  if (boundary) {
    const file = await multipartFile(request.raw, boundary, size);
    ({ body, size } = file);
    mimeType = contentType(file.contentType);
    metadataJson = file.fields.metadata;
    if (file.fields.cacheControl) cacheControl = /^\d+$/.test(file.fields.cacheControl) ? `max-age=${file.fields.cacheControl}` : file.fields.cacheControl;
  }
  cacheControl = cacheControl.slice(0, 200);
  if (size > Math.min(bucket.file_size_limit ?? MAX_OBJECT_BYTES, MAX_OBJECT_BYTES)) throw tooLarge();
  if (!mimeAllowed(mimeType, bucket.allowed_mime_types)) {
    throw new StorageError(415, 'invalid_mime_type', `mime type ${mimeType} is not supported`);
  }
  const id = randomUUID();
  const row = { id, bucket: bucket.id, name, size, mimeType, owner: options.owner ?? null, userMetadata: userMetadata(metadataJson) };

  // May the caller write this row at all? (A refused upload should not first send its bytes to S3.) The service role
  // bypasses RLS: for its upserts there is nothing to check.
  if (!options.asService && !(upsert && context.caller.role === 'service_role')) await checkUpload(context, bucket.id, name, upsert);
  // After that check: what the project stores is not for callers who may not write.
  if (limit !== null && stored + size > limit) {
    throw new StorageError(413, 'quota_exceeded', `The project's plan allows ${limit} bytes of storage; it stores ${stored}`);
  }

  const key = objectKey(id);
  let replaced: string | null;
  try {
    const { etag } = await putBytes(context, key, body, size, { 'content-type': mimeType, 'cache-control': cacheControl });
    const metadata = { eTag: etag, size, mimetype: mimeType, cacheControl, lastModified: new Date().toISOString(), contentLength: size, httpStatusCode: 200 };
    // One round trip, as the caller (or the service role, for a signed upload).
    const { rowCount, oldId } = written(
      await context.statements(options.asService ? 'service' : 'caller', (literal) => rowWrite(context, upsert, { ...row, metadata }, literal)),
    );
    if (!rowCount) throw duplicate();
    replaced = oldId;
  } catch (error) {
    await removeBytes(context, [key]).catch((removal) => request.log.error(removal));
    if (request.raw.readableAborted || request.raw.errored) request.log.info({ name }, 'upload aborted by the client');
    throw error;
  }
  // For the downloads that use early reads: the service role's and signed URLs' (early-reads.ts).
  if (options.asService || context.caller.role === 'service_role') earlyReads.remember(context.ref, { bucket_id: bucket.id, name, id, size });
  if (replaced) await removeBytes(context, [objectKey(replaced)]).catch((removal) => request.log.error(removal));
  return reply.send({ Id: id, Key: `${bucket.id}/${name}` });
}

const duplicate = () => new StorageError(409, 'duplicate', 'The resource already exists');

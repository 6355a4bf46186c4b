/**
 * Reading and managing objects, as storage-js's StorageFileApi calls it: download (with the caller's key, or public
 * with none), info, exists (HEAD), remove, move, copy (listing is in list.ts). Statements run as the caller, so RLS on
 * objects decides (signed URLs, whose token decided already, read as the service role); bytes are found by the row's
 * id.
 */
import { randomUUID } from 'node:crypto';
import { type OutgoingHttpHeaders, validateHeaderValue } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { S3ObjectReader } from '../../../storage/object-reader.ts';
import { CONDITIONAL_HEADERS, isNotModified, isPreconditionFailed, requestedRange } from '../conditional.ts';
import { type StorageContext, objectKey, storageContext } from '../context.ts';
import type { EarlyRead } from '../early-reads.ts';
import { invalidInput, objectNotFound, StorageError } from '../errors.ts';
import { bucketId, objectName } from '../input.ts';
import type { StorageDependencies } from '../routes.ts';
import { findBucket } from './bucket.ts';
import { readBytes, removeBytes } from './s3-bytes.ts';

export interface ObjectRow {
  id: string;
  bucket_id: string;
  name: string;
  owner: string | null;
  size: string;
  mime_type: string | null;
  metadata: { eTag?: string; cacheControl?: string };
  user_metadata: Record<string, unknown> | null;
  created_at: Date;
  updated_at: Date;
  last_accessed_at: Date;
}

const OBJECT_COLUMNS =
  'id, bucket_id, name, owner, size, mime_type, metadata, user_metadata, created_at, updated_at, last_accessed_at';

/** The object's row if the caller (or the service role) may see it, in one round trip: downloads start with it. */
export async function findObject(context: StorageContext, bucket: string, name: string, as: 'caller' | 'service' = 'caller') {
  const [{ rows }] = await context.statements(as, (literal) => [
    `select ${OBJECT_COLUMNS} from ${context.schema}.objects where bucket_id = ${literal(bucket)} and name = ${literal(name)}`,
  ]);
  if (!rows[0]) throw objectNotFound();
  return rows[0] as ObjectRow;
}

export function objectParams(request: FastifyRequest) {
  const params = request.params as { bucket: string; '*': string };
  return { bucket: bucketId(params.bucket), name: objectName(params['*']) };
}

/** The bucket and name of an object on a public route: only a public bucket's are served there. */
export async function publicObjectParams(context: StorageContext, request: FastifyRequest) {
  const object = objectParams(request);
  const found = await findBucket(context, object.bucket, 'service');
  if (!found.public) throw new StorageError(400, 'not_found', 'Bucket not found or not public');
  return object;
}

/** A GET answered with the whole object whatever its row says, if it is there: nothing to weigh against its version. */
const wantsAllBytes = ({ method, headers }: FastifyRequest) =>
  method === 'GET' && CONDITIONAL_HEADERS.every((name) => headers[name] === undefined);

/**
 * A download: the object's row, as the caller (or as the service role, where the route has checked the caller's right
 * already), then its bytes. Where no policy can refuse the row, S3 is asked for the bytes meanwhile (early-reads.ts).
 */
export async function download(
  context: StorageContext,
  { reader, earlyReads }: StorageDependencies,
  request: FastifyRequest,
  reply: FastifyReply,
  { bucket, name }: { bucket: string; name: string },
  as: 'caller' | 'service' = 'caller',
) {
  const unrefusable = as === 'service' || context.caller.role === 'service_role';
  const early = unrefusable && wantsAllBytes(request) ? earlyReads.start(context, bucket, name) : undefined;
  try {
    const row = await findObject(context, bucket, name, as).catch((error) => {
      if (unrefusable) earlyReads.forget(context.ref, bucket, name);
      throw error;
    });
    if (unrefusable) earlyReads.remember(context.ref, row);
    return await sendObject(context, reader, request, reply, row, early);
  } finally {
    early?.release();
  }
}

export function objectRoutes(app: FastifyInstance, dependencies: StorageDependencies) {
  const { s3 } = dependencies;
  const authenticated = (request: FastifyRequest, reply: FastifyReply) =>
    download(storageContext(request, s3), dependencies, request, reply, objectParams(request));
  app.get('/object/:bucket/*', authenticated);
  app.get('/object/authenticated/:bucket/*', authenticated);

  // Public buckets' objects, with or without a key (a public URL is used as is, by browsers).
  app.get('/object/public/:bucket/*', { config: { apikeyOptional: true } }, async (request, reply) => {
    const context = storageContext(request, s3);
    return download(context, dependencies, request, reply, await publicObjectParams(context, request));
  });

  app.get('/object/info/:bucket/*', async (request) => {
    const context = storageContext(request, s3);
    const { bucket, name } = objectParams(request);
    const row = await findObject(context, bucket, name);
    return {
      id: row.id,
      name: row.name,
      version: row.id,
      bucket_id: row.bucket_id,
      size: Number(row.size),
      content_type: row.mime_type,
      cache_control: row.metadata.cacheControl ?? null,
      etag: row.metadata.eTag ?? null,
      metadata: row.user_metadata ?? {},
      last_modified: row.updated_at,
      created_at: row.created_at,
    };
  });

  app.delete('/object/:bucket', async (request) => {
    const context = storageContext(request, s3);
    const bucket = bucketId((request.params as { bucket: string }).bucket);
    const { prefixes } = (request.body ?? {}) as { prefixes?: unknown };
    if (!Array.isArray(prefixes) || prefixes.length === 0 || prefixes.length > 1000 || prefixes.some((p) => typeof p !== 'string')) {
      throw invalidInput('prefixes must be a list of 1 to 1,000 object names');
    }
    const rows = await context.asCaller(async (client) => {
      const result = await client.query<ObjectRow>(
        `delete from ${context.schema}.objects where bucket_id = $1 and name = any($2::text[]) returning ${OBJECT_COLUMNS}`,
        [bucket, prefixes],
      );
      return result.rows;
    });
    await removeBytes(context, rows.map((row) => objectKey(row.id))).catch((error) => request.log.error(error));
    return rows.map(fileObject);
  });

  app.post('/object/move', async (request) => {
    const context = storageContext(request, s3);
    const { from, to } = transfer(request.body);
    // Bytes are kept by id: a move is the row's alone.
    await findObject(context, from.bucket, from.name);
    if (to.bucket !== from.bucket) await findBucket(context, to.bucket, 'service');
    await context.asCaller(async (client) => {
      const { rowCount } = await client.query(
        `update ${context.schema}.objects set bucket_id = $3, name = $4, updated_at = now() where bucket_id = $1 and name = $2`,
        [from.bucket, from.name, to.bucket, to.name],
      );
      if (!rowCount) throw new StorageError(403, 'unauthorized', 'You may not move this object');
    });
    return { message: 'Successfully moved' };
  });

  app.post('/object/copy', async (request) => {
    const context = storageContext(request, s3);
    const { from, to } = transfer(request.body);
    const source = await findObject(context, from.bucket, from.name);
    if (to.bucket !== from.bucket) await findBucket(context, to.bucket, 'service');
    const id = randomUUID();
    const key = objectKey(id);
    try {
      await context.s3.copyObject(context.s3Bucket, key, `/${context.s3Bucket}/${objectKey(source.id)}`);
      await context.asCaller((client) =>
        client.query(
          `insert into ${context.schema}.objects (id, bucket_id, name, size, mime_type, metadata, user_metadata)
           values ($1, $2, $3, $4, $5, $6, $7)`,
          [id, to.bucket, to.name, source.size, source.mime_type, source.metadata, source.user_metadata],
        ),
      );
    } catch (error) {
      await removeBytes(context, [key]).catch((removal) => request.log.error(removal));
      throw error;
    }
    return { Id: id, Key: `${to.bucket}/${to.name}` };
  });
}

function transfer(body: unknown) {
  const { bucketId: bucket, sourceKey, destinationKey, destinationBucket } = (body ?? {}) as Record<string, unknown>;
  const from = { bucket: bucketId(bucket), name: objectName(sourceKey) };
  const to = { bucket: destinationBucket == null ? from.bucket : bucketId(destinationBucket), name: objectName(destinationKey) };
  return { from, to };
}

export function fileObject(row: ObjectRow) {
  return {
    name: row.name,
    bucket_id: row.bucket_id,
    owner: row.owner,
    id: row.id,
    updated_at: row.updated_at,
    created_at: row.created_at,
    last_accessed_at: row.last_accessed_at,
    metadata: row.metadata,
  };
}

/**
 * The object's bytes, whole or a single range, with the row's headers (S3's own never reach the caller); or a 412 if
 * the client's condition fails, a 304 if its copy is current. Bytes are sent only once S3 has answered: bytes missing
 * from S3 are a 404 like a missing row.
 */
async function sendObject(
  context: StorageContext,
  reader: S3ObjectReader,
  request: FastifyRequest,
  reply: FastifyReply,
  row: ObjectRow,
  early?: EarlyRead,
) {
  const size = Number(row.size);
  // The validators and caching, which a 304 carries too.
  const version = { etag: validHeader(reply, 'etag', row.metadata.eTag), lastModified: setCaching(reply, row) };
  if (version.etag) reply.header('etag', version.etag);
  if (isPreconditionFailed(request.headers, version)) {
    throw new StorageError(412, 'precondition_failed', 'The object is not the version asked for (If-Match, If-Unmodified-Since)');
  }
  if (isNotModified(request.headers, version)) return reply.status(304).send();

  reply.header('content-type', validHeader(reply, 'content-type', row.mime_type) ?? 'application/octet-stream');
  setContentHeaders(request, reply, fileNameOf(row));
  reply.header('accept-ranges', 'bytes');
  const range = requestedRange(request.headers, version, size);
  if (range === 'unsatisfiable') {
    return reply.status(416).header('content-range', `bytes */${size}`).send();
  }
  if (request.method === 'HEAD') {
    // Written here: Fastify's HEAD routes would make the length that of an empty body.
    reply.hijack();
    reply.raw.writeHead(200, { ...reply.getHeaders(), 'content-length': size } as OutgoingHttpHeaders).end();
    return reply;
  }
  if (size === 0) return reply.header('content-length', 0).send(Buffer.alloc(0));
  if (range) reply.status(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`);
  return readBytes(context, reader, objectKey(row.id), range ?? { start: 0, end: size - 1, whole: true }, reply, early);
}

/** The row's Cache-Control (if valid) and its Last-Modified, which is returned (to the second, as HTTP has it). */
export function setCaching(reply: FastifyReply, row: ObjectRow): Date {
  const cacheControl = validHeader(reply, 'cache-control', row.metadata.cacheControl);
  if (cacheControl) reply.header('cache-control', cacheControl);
  const lastModified = new Date(Math.floor(new Date(row.updated_at).getTime() / 1000) * 1000);
  reply.header('last-modified', lastModified.toUTCString());
  return lastModified;
}

/**
 * What a browser may do with the content: run nothing, sniff nothing; save it if `?download` asks, under the name
 * given there, else `fileName`.
 */
export function setContentHeaders(request: FastifyRequest, reply: FastifyReply, fileName: string): void {
  // Uploaded HTML or SVG is served on the console's origin: sandboxed, it runs no script and has no origin's rights.
  reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox");
  reply.header('x-content-type-options', 'nosniff');
  const attachmentName = (request.query as { download?: string }).download;
  if (attachmentName !== undefined) {
    reply.header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(attachmentName || fileName)}`);
  }
}

/** The last part of an object's name: what a browser saves it as. */
export const fileNameOf = (row: ObjectRow) => row.name.split('/').pop()!;

/**
 * A header value from the row, if it is a valid one: the project's DBA can write anything into the row (metadata is
 * any JSON), and a value Node refuses would fail the response after its body was taken from S3. Left out (with a
 * warning) otherwise.
 */
function validHeader(reply: FastifyReply, name: string, value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  try {
    validateHeaderValue(name, value);
    return value;
  } catch {
    reply.log.warn({ header: name }, "an object's row holds a value that is no valid header: left out");
    return undefined;
  }
}

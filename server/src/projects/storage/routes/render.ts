/**
 * Transformed images (images.ts), on the routes storage-js calls with its `transform` option, each deciding access as
 * the download it mirrors: `/render/image/authenticated/:bucket/*` (RLS on the row, as the caller),
 * `/render/image/public/:bucket/*` (public buckets, with or without a key) and `/render/image/sign/:bucket/*?token=`
 * (a signed URL whose token names the object and the transformation: sign.ts).
 *
 * Transformations take a core each while they run, so a server runs at most half as many at once as it has cores,
 * shared by turns between projects (FairSlots): a project that asks for many waits behind itself, and past a few
 * waiting is told to slow down (429), without holding up another project's images. Keyless requests (plain links to
 * public images, signed URLs) take their turns apart from the project's own callers, as they spend none of its rate:
 * strangers cannot crowd those out. Images made lately are kept (up
 * to MADE_BYTES per server) and sent again, once the row says the caller may read the object: a popular thumbnail is
 * made once, not for every viewer.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FairSlots, SlotsFull } from '../../../fair-slots.ts';
import { RecentMap } from '../../../recent-map.ts';
import { type ObjectBody, type S3ObjectReader, UnframedResponse } from '../../../storage/object-reader.ts';
import { isNotModified } from '../conditional.ts';
import { type StorageContext, objectKey, storageContext } from '../context.ts';
import { StorageError } from '../errors.ts';
import {
  checkSourceSize,
  takesWebp,
  type Transformation,
  type TransformedImage,
  transformationOf,
  transformImage,
} from '../images.ts';
import type { StorageDependencies } from '../routes.ts';
import { fileNameOf, findObject, objectParams, publicObjectParams, setCaching, setContentHeaders } from './object.ts';
import { openBytes } from './s3-bytes.ts';
import { verifyRenderToken } from './sign.ts';

/** Transformations waiting per project before it is told to slow down. */
const WAITING_PER_PROJECT = 8;
/** Images made lately, kept per server. */
const MADE_BYTES = 32 * 1024 * 1024;
/** A larger image is not kept: it would push out a hundred thumbnails. */
const MAX_KEPT_BYTES = 1024 * 1024;
/** What an image kept weighs beside its bytes (its key, the Map's entry, the objects): tiny images count too. */
const KEPT_OVERHEAD_BYTES = 2048;

/** A server's transformations: running and waiting, and made lately. */
export class Transformations {
  readonly slots = new FairSlots(Math.max(1, Math.floor(os.availableParallelism() / 2)), WAITING_PER_PROJECT);
  /** By madeKey: all an image depends on. */
  readonly made = new RecentMap<string, TransformedImage>(MADE_BYTES, (image) => image.data.length + KEPT_OVERHEAD_BYTES);
}

/**
 * The project's S3 bucket and the object's id, whose bytes never change there (an id names bytes in its own project's
 * bucket only: another project's DBA can write the same id into a row of theirs), the transformation, and whether
 * WebP is taken.
 */
const madeKey = (context: StorageContext, id: string, transformation: Transformation, accept: string | undefined) =>
  `${context.s3Bucket}\n${id}\n${JSON.stringify(transformation)}\n${takesWebp(accept)}`;

export function renderRoutes(app: FastifyInstance, dependencies: StorageDependencies) {
  const { s3 } = dependencies;
  app.get('/render/image/authenticated/:bucket/*', async (request, reply) => {
    const context = storageContext(request, s3);
    return render(context, dependencies, request, reply, objectParams(request), transformationOf(request.query));
  });

  app.get('/render/image/public/:bucket/*', { config: { apikeyOptional: true } }, async (request, reply) => {
    const context = storageContext(request, s3);
    const object = await publicObjectParams(context, request);
    return render(context, dependencies, request, reply, object, transformationOf(request.query));
  });

  // The token names the transformation: the URL's own query cannot change it.
  app.get('/render/image/sign/:bucket/*', { config: { apikeyOptional: true } }, async (request, reply) => {
    const context = storageContext(request, s3);
    const object = objectParams(request);
    const transformation = await verifyRenderToken(
      context,
      (request.query as { token?: unknown }).token,
      object.bucket,
      object.name,
    );
    return render(context, dependencies, request, reply, object, transformation, 'service');
  });
}

/** The object's row as the caller (or the service role, for a signed URL), then its bytes, transformed. */
async function render(
  context: StorageContext,
  { transformations, reader }: StorageDependencies,
  request: FastifyRequest,
  reply: FastifyReply,
  { bucket, name }: { bucket: string; name: string },
  transformation: Transformation,
  as: 'caller' | 'service' = 'caller',
) {
  const row = await findObject(context, bucket, name, as);
  checkSourceSize(Number(row.size));
  const accept = request.headers.accept;
  const key = madeKey(context, row.id, transformation, accept);
  // Validators: the key names all the image depends on (Last-Modified alone, to the second, cannot tell two versions
  // written within one apart).
  const version = {
    etag: `W/"${createHash('sha256').update(key).digest('base64url').slice(0, 27)}"`,
    lastModified: setCaching(reply, row),
  };
  reply.header('etag', version.etag);
  // The format follows the Accept header (WebP for clients that take it), beside what CORS varies by.
  const vary = reply.getHeader('vary');
  reply.header('vary', vary ? `${vary}, Accept` : 'Accept');
  // A copy of this very image is still current: nothing is transformed again.
  if (isNotModified(request.headers, version)) return reply.status(304).send();

  const kept = transformations.made.get(key);
  // The newest again.
  if (kept) transformations.made.set(key, kept);
  const image =
    kept ??
    (await transformations.slots
      .run(request.project!.keyless ? `${context.ref} keyless` : context.ref, async () => {
        // A client gone while it waited wants nothing: its turn passes on.
        if (request.raw.socket.destroyed) return undefined;
        // Made meanwhile for a viewer ahead in the queue?
        const keptMeanwhile = transformations.made.get(key);
        if (keptMeanwhile) return keptMeanwhile;
        const made = await transformImage(await sourceBytes(context, reader, objectKey(row.id)), transformation, accept);
        // Kept before the slot passes on: the next in the queue may want the same.
        if (made.data.length <= MAX_KEPT_BYTES) transformations.made.set(key, made);
        return made;
      })
      .catch((error) => {
        throw error instanceof SlotsFull
          ? new StorageError(429, 'rate_limited', 'Too many image transformations are waiting for this project')
          : error;
      }));
  if (!image) return reply.hijack();
  // Saved with the extension of what is sent: a PNG sent as WebP is no .png.
  setContentHeaders(request, reply, fileNameOf(row).replace(/(\.[^.]*)?$/, `.${image.extension}`));
  return reply.type(image.contentType).send(image.data);
}

/**
 * The bytes of `key`, whole, read as downloads read them: the reader gives up on an S3 that stops answering, so no
 * slot waits on it for ever. A source is at most MAX_SOURCE_BYTES, whatever its row says.
 */
async function sourceBytes(context: StorageContext, reader: S3ObjectReader, key: string): Promise<Buffer> {
  let body: ObjectBody;
  try {
    body = await openBytes(context, reader, key);
  } catch (error) {
    if (error instanceof UnframedResponse) {
      throw new StorageError(502, 's3_unframed', 'The S3 server answered without a Content-Length: images cannot be transformed');
    }
    throw error;
  }
  try {
    checkSourceSize(body.length);
  } catch (error) {
    body.destroy();
    throw error;
  }
  const data = Buffer.allocUnsafe(body.length);
  let at = 0;
  // The reader takes each buffer back once written: its bytes are copied out.
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      at += chunk.copy(data, at);
      done();
    },
  });
  body.pipe(sink);
  await finished(sink);
  return data;
}

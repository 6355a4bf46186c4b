/**
 * The bytes of objects in the project's S3 bucket. Uploads stream straight through to S3 (a presigned PUT with the
 * declared length), so a body is never held in memory whatever its size; downloads stream back the same way (a
 * presigned GET, read by storage/object-reader.ts into the response). Presigned URLs stay on the server.
 */
import http from 'node:http';
import https from 'node:https';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyReply } from 'fastify';
import type * as Minio from 'minio';
import { RecentMap } from '../../../recent-map.ts';
import { type ObjectBody, type S3ObjectReader, S3ReadError, UnframedResponse } from '../../../storage/object-reader.ts';
import type { StorageContext } from '../context.ts';
import type { EarlyRead } from '../early-reads.ts';
import { objectNotFound } from '../errors.ts';

/** Presigned URLs are used by this server only, within REUSE_SIGNED_MS of signing; the rest is a margin for clocks. */
const PRESIGNED_SECONDS = 15 * 60;

/** Removes bytes whose rows are gone. */
export async function removeBytes(context: Pick<StorageContext, 's3' | 's3Bucket'>, keys: string[]): Promise<void> {
  for (let start = 0; start < keys.length; start += 1000) {
    await context.s3.removeObjects(context.s3Bucket, keys.slice(start, start + 1000));
  }
}

/** Streams exactly `size` bytes of `source` to `key`; fails (storing nothing) if the source ends short or errs. */
export async function putBytes(
  context: Pick<StorageContext, 's3' | 's3Bucket'>,
  key: string,
  source: Readable,
  size: number,
  headers: Record<string, string>,
): Promise<{ etag: string }> {
  const target = new URL(await context.s3.presignedPutObject(context.s3Bucket, key, PRESIGNED_SECONDS));
  const transport = target.protocol === 'https:' ? https : http;
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      callback(received > size ? new Error('The body is longer than its Content-Length') : null, chunk);
    },
    flush(callback) {
      callback(received === size ? null : new Error('The upload ended before its Content-Length'));
    },
  });
  return new Promise((resolve, reject) => {
    const outgoing = transport.request(
      target,
      { method: 'PUT', headers: { ...headers, 'content-length': String(size) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          if (response.statusCode === 200) resolve({ etag: String(response.headers.etag ?? '') });
          else reject(new Error(`S3 answered ${response.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 300)}`));
        });
      },
    );
    outgoing.on('error', reject);
    pipeline(source, counter, outgoing).catch((error: Error) => {
      outgoing.destroy(error);
      reject(error);
    });
  });
}

/**
 * Presigned GET URLs, per S3 client (its endpoint and credentials), by bucket and key, reused for REUSE_SIGNED_MS of
 * their PRESIGNED_SECONDS: signing took 0.14–0.19 ms of a download's path (its code is cold on every request, against
 * 0.05 ms in a loop). A reused URL that S3 refuses (its clock ahead of ours, say) is signed again, once.
 */
const signedGets = new WeakMap<Minio.Client, RecentMap<string, { url: URL; until: number }>>();
const REUSE_SIGNED_MS = 5 * 60_000;
/** URLs kept per S3 client: ~500 bytes each. */
const MAX_SIGNED = 4096;

/**
 * Asks S3 for bytes of `key` (all of them, or a range), by a presigned GET: see S3ObjectReader.open. Bytes missing
 * from S3 are objectNotFound, as a missing row is.
 */
export async function openBytes(
  context: Pick<StorageContext, 's3' | 's3Bucket'>,
  reader: S3ObjectReader,
  key: string,
  range?: { start: number; end: number },
): Promise<ObjectBody> {
  const open = (url: URL) =>
    reader.open(url, range).catch((error) => {
      throw error instanceof S3ReadError && error.status === 404 ? objectNotFound() : error;
    });
  let urls = signedGets.get(context.s3);
  if (!urls) signedGets.set(context.s3, (urls = new RecentMap(MAX_SIGNED)));
  const name = `${context.s3Bucket}/${key}`;
  const signed = urls.get(name);
  if (signed && signed.until > Date.now()) {
    try {
      return await open(signed.url);
    } catch (error) {
      if (!(error instanceof S3ReadError && error.status === 403)) throw error;
    }
  }
  const url = new URL(await context.s3.presignedGetObject(context.s3Bucket, key, PRESIGNED_SECONDS));
  urls.set(name, { url, until: Date.now() + REUSE_SIGNED_MS });
  return open(url);
}

/**
 * Sends bytes `start`…`end` of `key` as the reply, whose status and headers are set (`whole`: the object, asked
 * without a Range). S3's answer is awaited first, so that bytes missing from S3 are a 404 and a length other than the
 * row's an error, before anything is sent; then the body is written straight to the response. If the client goes
 * away, the connection to S3 is dropped. An `early` read of the whole object (early-reads.ts) is S3's answer if it is
 * of `key`.
 */
export async function readBytes(
  context: Pick<StorageContext, 's3' | 's3Bucket'>,
  reader: S3ObjectReader,
  key: string,
  range: { start: number; end: number; whole?: boolean },
  reply: FastifyReply,
  early?: EarlyRead,
): Promise<FastifyReply> {
  const length = range.end - range.start + 1;
  let body: ObjectBody;
  try {
    body = await ((range.whole ? early?.take(key) : undefined) ?? openBytes(context, reader, key, range.whole ? undefined : range));
  } catch (error) {
    if (error instanceof UnframedResponse) return readBytesWithMinio(context, key, range, reply);
    throw error;
  }
  if (body.status !== (range.whole ? 200 : 206) || body.length !== length) {
    body.destroy();
    throw new Error(`S3 answered ${body.status} with ${body.length} bytes, for ${length} bytes from ${range.start} of ${key}`);
  }
  // Written here, not by Fastify: the body goes to the response buffer by buffer (if the client is gone already,
  // pipe drops the connection to S3 at once).
  reply.hijack();
  try {
    reply.raw.writeHead(reply.statusCode, { ...reply.getHeaders(), 'content-length': length } as http.OutgoingHttpHeaders);
  } catch (error) {
    // Not one byte of it will be sent: S3's connection goes, and the client's (the reply is ours, hijacked).
    body.destroy();
    reply.raw.destroy();
    throw error;
  }
  body.pipe(reply.raw);
  return reply;
}

/** The same through the minio client's stream, for an S3 that answers without a Content-Length. */
async function readBytesWithMinio(
  context: Pick<StorageContext, 's3' | 's3Bucket'>,
  key: string,
  range: { start: number; end: number; whole?: boolean },
  reply: FastifyReply,
): Promise<FastifyReply> {
  const length = range.end - range.start + 1;
  const stream = await (range.whole
    ? context.s3.getObject(context.s3Bucket, key)
    : context.s3.getPartialObject(context.s3Bucket, key, range.start, length)
  ).catch((error: { code?: string }) => {
    throw error.code === 'NoSuchKey' ? objectNotFound() : error;
  });
  return reply.header('content-length', length).send(stream);
}

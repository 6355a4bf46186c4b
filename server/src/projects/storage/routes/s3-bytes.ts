/**
 * The bytes of objects in the project's S3 bucket. Uploads stream straight through to S3 (a presigned PUT with the
 * declared length), so a body is never held in memory whatever its size; downloads stream back the same way.
 */
import http from 'node:http';
import https from 'node:https';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { StorageContext } from '../context.ts';

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
  const target = new URL(await context.s3.presignedPutObject(context.s3Bucket, key, 15 * 60));
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

/**
 * A project's storage at `/storage/v1/…`: the Supabase Storage API that supabase-js's storage client speaks.
 * Registered by the project API after its hook has resolved the project and verified the caller's key or token
 * (except on the two routes marked `apikeyOptional`, public objects and signed URLs, which browsers open as plain
 * links). Metadata lives in the project's `p_<ref>_storage` schema, read and written as the caller so that its RLS
 * policies decide; bytes live in the project's one S3 bucket under keys made from object ids.
 */
import type { FastifyInstance } from 'fastify';
import type * as Minio from 'minio';
import { S3ObjectReader } from '../../storage/object-reader.ts';
import { storageS3Client } from '../../storage/s3.ts';
import type { S3Settings } from '../../config.ts';
import { EarlyReads } from './early-reads.ts';
import { StorageError, sendStorageError } from './errors.ts';
import { bucketRoutes } from './routes/bucket.ts';
import { listRoutes } from './routes/list.ts';
import { objectRoutes } from './routes/object.ts';
import { renderRoutes, Transformations } from './routes/render.ts';
import { signRoutes } from './routes/sign.ts';
import { uploadRoutes } from './routes/upload.ts';

export interface StorageDependencies {
  s3: Minio.Client;
  /** Downloads' bytes (uploads and everything else go through `s3`). */
  reader: S3ObjectReader;
  earlyReads: EarlyReads;
  /** Image transformations running, waiting and made lately (render.ts). */
  transformations: Transformations;
}

/** JSON requests are small; uploads stream and have their own limit. */
const BODY_LIMIT = 262_144;

export async function storageRoutes(app: FastifyInstance, { s3 }: { s3?: S3Settings }): Promise<void> {
  app.setErrorHandler(sendStorageError);
  app.setNotFoundHandler((request, reply) =>
    sendStorageError(new StorageError(404, 'not_found', `There is no ${request.method} ${request.url.split('?')[0]}`), request, reply),
  );
  if (!s3) {
    app.addHook('onRequest', async () => {
      throw new StorageError(503, 'storage_unavailable', 'Storage is not configured on this server');
    });
    return;
  }
  const reader = new S3ObjectReader();
  const dependencies = { s3: storageS3Client(s3), reader, earlyReads: new EarlyReads(reader), transformations: new Transformations() };
  app.addHook('onClose', async () => dependencies.reader.close());
  // supabase-js sends some JSON requests with a JSON content type and no body: that is an empty request.
  app.addHook('onRequest', async (request) => {
    if (request.headers['content-length'] === '0' && request.method !== 'POST' && request.method !== 'PUT') {
      delete request.headers['content-type'];
    }
  });
  await app.register(async (json) => {
    json.addHook('onRoute', (route) => {
      route.bodyLimit ??= BODY_LIMIT;
    });
    bucketRoutes(json, dependencies);
    objectRoutes(json, dependencies);
    listRoutes(json, dependencies);
    signRoutes(json, dependencies);
    renderRoutes(json, dependencies);
  });
  await app.register(async (raw) => uploadRoutes(raw, dependencies));
}

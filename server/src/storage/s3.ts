/** The S3 client Canopy uses for every bucket: the local S3 server in development, MinIO or any S3 in production. */
import * as Minio from 'minio';
import type { S3Settings } from '../config.ts';

/** `partSize` above any object's size keeps every upload a single PUT (the local S3 server has no multipart). */
export function createS3Client(settings: S3Settings, { partSize }: { partSize?: number } = {}): Minio.Client {
  return new Minio.Client({
    endPoint: settings.endPoint,
    port: settings.port,
    useSSL: settings.useSSL,
    accessKey: settings.accessKey,
    secretKey: settings.secretKey,
    region: settings.region,
    pathStyle: true,
    ...(partSize ? { partSize } : {}),
  });
}

/** The platform's own limit on one object (S3 takes up to 5 GiB in one PUT). */
export const MAX_OBJECT_BYTES = 5 * 1024 ** 3;

/** The S3 client for objects' bytes (project storage): one PUT per object, never multipart. */
export function storageS3Client(settings: S3Settings): Minio.Client {
  return createS3Client(settings, { partSize: MAX_OBJECT_BYTES });
}

/** A project's bucket: named from its ref, never from anything a user chose. */
export function projectBucket(ref: string): string {
  return `canopy-${ref}`;
}

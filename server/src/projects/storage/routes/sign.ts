/**
 * Signed URLs: `POST /object/sign/:bucket/*` (one) and `POST /object/sign/:bucket` (many) give, to a caller who may
 * read the object, a URL naming it with a token: a JWT signed with the project's secret, carrying the bucket and
 * path and an expiry. `GET /object/sign/:bucket/*?token=…` serves it to anyone, with or without a key; the token
 * cannot serve any other object, and is no API key (it has no role). Asked with a `transform`, the URL is
 * `/render/image/sign/…` (render.ts) and its token names the transformation too: it serves that transformation
 * only, never the original (which a thumbnail's link must not give away). Signed upload URLs are made the same way
 * (`POST /object/upload/sign/:bucket/*`), for a caller who may write the object, and used with a PUT (upload.ts).
 */
import type { FastifyInstance } from 'fastify';
import { jwtVerify, SignJWT } from 'jose';
import { type StorageContext, storageContext } from '../context.ts';
import { invalidInput, StorageError } from '../errors.ts';
import { type Transformation, transformationOf } from '../images.ts';
import { bucketId, expiresIn, objectName } from '../input.ts';
import type { StorageDependencies } from '../routes.ts';
import { findBucket } from './bucket.ts';
import { download, findObject } from './object.ts';
import { checkUpload } from './upload.ts';

const PURPOSE = 'storage:download';
const RENDER_PURPOSE = 'storage:render';
const UPLOAD_PURPOSE = 'storage:upload';
/** Signed upload URLs last two hours, as Supabase's. */
const UPLOAD_SECONDS = 2 * 60 * 60;

/** The project a token is made for: its ref and JWT secret (a StorageContext, or the control API's registry entry). */
type Signer = { ref: string; jwtSecret: Uint8Array };

function tokenFor(project: Signer, claims: Record<string, unknown>, seconds: number) {
  return new SignJWT({ ...claims, ref: project.ref })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
    .sign(project.jwtSecret);
}

/** The claims of a token made here for `purpose` and this very object, or a 400. */
async function verifyToken(context: StorageContext, token: unknown, purpose: string, bucket: string, name: string) {
  if (typeof token !== 'string' || token === '') throw new StorageError(400, 'invalid_jwt', 'Missing token');
  let payload;
  try {
    ({ payload } = await jwtVerify(token, context.jwtSecret, { algorithms: ['HS256'] }));
  } catch (error) {
    const expired = (error as { code?: string }).code === 'ERR_JWT_EXPIRED';
    throw new StorageError(400, 'invalid_jwt', expired ? 'jwt expired' : 'invalid signature');
  }
  if (payload.purpose !== purpose || payload.ref !== context.ref || payload.url !== `${bucket}/${name}`) {
    throw new StorageError(400, 'invalid_jwt', 'The token is not for this object');
  }
  return payload;
}

export async function verifyUploadToken(context: StorageContext, token: unknown, rawBucket: string, rawName: string) {
  const bucket = bucketId(rawBucket);
  const name = objectName(rawName);
  const payload = await verifyToken(context, token, UPLOAD_PURPOSE, bucket, name);
  return { owner: typeof payload.owner === 'string' ? payload.owner : null, upsert: payload.upsert === true };
}

/** The transformation a signed render URL's token names, if the token is for this object. */
export async function verifyRenderToken(context: StorageContext, token: unknown, bucket: string, name: string) {
  return transformationOf((await verifyToken(context, token, RENDER_PURPOSE, bucket, name)).transform);
}

/** A signed download path (under /storage/v1) for one object, or for one transformation of it. */
export async function sign(project: Signer, bucket: string, name: string, seconds: number, transform?: Transformation): Promise<string> {
  const url = `${bucket}/${name}`;
  const claims = transform ? { url, purpose: RENDER_PURPOSE, transform } : { url, purpose: PURPOSE };
  const token = await tokenFor(project, claims, seconds);
  // Unencoded: storage-js runs the whole URL through encodeURI.
  return `/${transform ? 'render/image' : 'object'}/sign/${url}?token=${token}`;
}

/** A signed upload path (under /storage/v1) for one object, uploading as `owner`. */
export async function signUpload(project: Signer, bucket: string, name: string, owner: string | null, upsert: boolean) {
  const token = await tokenFor(project, { url: `${bucket}/${name}`, purpose: UPLOAD_PURPOSE, owner, upsert }, UPLOAD_SECONDS);
  return { url: `/object/upload/sign/${bucket}/${name}?token=${token}`, token };
}

const isEmpty = (value: unknown) => value == null || (typeof value === 'object' && Object.keys(value).length === 0);

export function signRoutes(app: FastifyInstance, dependencies: StorageDependencies) {
  const { s3 } = dependencies;
  // A signed upload URL, for a caller who may write the object now; the upload itself is PUT there (upload.ts).
  app.post('/object/upload/sign/:bucket/*', async (request) => {
    const context = storageContext(request, s3);
    const params = request.params as { bucket: string; '*': string };
    const bucket = (await findBucket(context, params.bucket, 'service')).id;
    const name = objectName(params['*']);
    const upsert = request.headers['x-upsert'] === 'true';
    await checkUpload(context, bucket, name, upsert);
    return signUpload(context, bucket, name, context.caller.claims.sub ?? null, upsert);
  });

  app.post('/object/sign/:bucket/*', async (request) => {
    const context = storageContext(request, s3);
    const params = request.params as { bucket: string; '*': string };
    const bucket = bucketId(params.bucket);
    const name = objectName(params['*']);
    const body = (request.body ?? {}) as { expiresIn?: unknown; transform?: unknown };
    const seconds = expiresIn(body.expiresIn);
    // As storage-js sends it: only with options in it (none, null or {} is a plain signed URL).
    const transform = isEmpty(body.transform) ? undefined : transformationOf(body.transform);
    await findObject(context, bucket, name);
    return { signedURL: await sign(context, bucket, name, seconds, transform) };
  });

  app.post('/object/sign/:bucket', async (request) => {
    const context = storageContext(request, s3);
    const bucket = bucketId((request.params as { bucket: string }).bucket);
    const body = (request.body ?? {}) as { expiresIn?: unknown; paths?: unknown };
    const seconds = expiresIn(body.expiresIn);
    const paths = body.paths;
    if (!Array.isArray(paths) || paths.length === 0 || paths.length > 1000 || paths.some((path) => typeof path !== 'string')) {
      throw invalidInput('paths must be a list of 1 to 1,000 object names');
    }
    const visible = await context.asCaller(async (client) => {
      const { rows } = await client.query<{ name: string }>(
        `select name from ${context.schema}.objects where bucket_id = $1 and name = any($2::text[])`,
        [bucket, paths],
      );
      return new Set(rows.map((row) => row.name));
    });
    return Promise.all(
      (paths as string[]).map(async (path) =>
        visible.has(path)
          ? { error: null, path, signedURL: await sign(context, bucket, path, seconds) }
          : { error: 'Either the object does not exist or you do not have access to it', path, signedURL: null },
      ),
    );
  });

  app.get('/object/sign/:bucket/*', { config: { apikeyOptional: true } }, async (request, reply) => {
    const context = storageContext(request, s3);
    const params = request.params as { bucket: string; '*': string };
    const bucket = bucketId(params.bucket);
    const name = objectName(params['*']);
    await verifyToken(context, (request.query as { token?: unknown }).token, PURPOSE, bucket, name);
    return download(context, dependencies, request, reply, { bucket, name }, 'service');
  });
}

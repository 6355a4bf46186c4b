/**
 * A project's storage, for its organization's members through the control API (the console's Storage pages): every
 * member sees the usage, browses the objects and downloads them through signed URLs; owners, administrators and
 * developers upload (through signed upload URLs) and delete. Listing and deleting run in the project's database as
 * its service role; downloads and uploads go to the storage API itself, with tokens it issues for one object.
 */
import type * as Minio from 'minio';
import type { Config } from '../config.ts';
import type { Identity, RequestOrigin } from '../control/accounts.ts';
import { CanopyError } from '../errors.ts';
import { projectBucket } from '../storage/s3.ts';
import type { ProjectDataAccess } from './access.ts';
import { objectKey } from './storage/context.ts';
import { transformationOf } from './storage/images.ts';
import { bucketId, objectName } from './storage/input.ts';
import { removeBytes } from './storage/routes/s3-bytes.ts';
import { sign, signUpload } from './storage/routes/sign.ts';

export interface BucketUsage {
  bucket: string;
  public: boolean;
  objects: number;
  bytes: number;
}

export interface StoredObject {
  name: string;
  size: number;
  mimeType: string | null;
  updatedAt: Date;
}

const schemaOf = (ref: string) => `"p_${ref}_storage"`;

export class ProjectStorageForMembers {
  constructor(
    private readonly access: ProjectDataAccess,
    private readonly s3: Minio.Client,
    private readonly config: Config,
  ) {}

  /** Objects and bytes in all and per bucket, read when asked, so always current. */
  async usage(identity: Identity, projectId: string) {
    const project = await this.access.authorize(identity, projectId, false);
    const schema = schemaOf(project.ref);
    const buckets = await this.access.asService(project, async (client) => {
      const { rows } = await client.query<BucketUsage>(
        `select b.id as bucket, b.public, count(o.id)::int as objects, coalesce(sum(o.size), 0)::float8 as bytes
         from ${schema}.buckets b left join ${schema}.objects o on o.bucket_id = b.id
         group by b.id order by b.id`,
      );
      return rows;
    });
    return {
      objects: buckets.reduce((sum, bucket) => sum + bucket.objects, 0),
      bytes: buckets.reduce((sum, bucket) => sum + bucket.bytes, 0),
      buckets,
    };
  }

  /** A bucket's objects whose names start with `prefix`, by name. */
  async objects(identity: Identity, projectId: string, bucket: string, { prefix = '', first = 100, offset = 0 }) {
    const project = await this.access.authorize(identity, projectId, false);
    if (first < 1 || first > 1000 || offset < 0) throw new CanopyError('INVALID_INPUT', 'first is 1 to 1000, offset ≥ 0', 400);
    const pattern = `${prefix.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
    return this.access.asService(project, async (client) => {
      const { rows } = await client.query<StoredObject>(
        `select name, size::float8 as size, mime_type as "mimeType", updated_at as "updatedAt"
         from ${schemaOf(project.ref)}.objects where bucket_id = $1 and name like $2
         order by name limit $3 offset $4`,
        [valid(() => bucketId(bucket)), pattern, first, offset],
      );
      return rows;
    });
  }

  /**
   * A URL that downloads one object (any member), or an image's preview within `width` and/or `height` (a signed
   * transformation), or uploads it (owners, administrators, developers).
   */
  async signedUrl(
    identity: Identity,
    projectId: string,
    input: { bucket: string; path: string; upload: boolean; expiresIn: number; width?: number | null; height?: number | null },
  ): Promise<string> {
    const project = await this.access.authorize(identity, projectId, input.upload);
    const entry = await this.access.activeEntry(project);
    const bucket = valid(() => bucketId(input.bucket));
    const name = valid(() => objectName(input.path));
    if (input.expiresIn < 1 || input.expiresIn > 7 * 24 * 3600) {
      throw new CanopyError('INVALID_INPUT', 'expiresIn is 1 second to 7 days', 400);
    }
    const preview = input.width != null || input.height != null;
    if (preview && input.upload) throw new CanopyError('INVALID_INPUT', 'A preview is of a download, not an upload', 400);
    const fitted = { width: input.width ?? undefined, height: input.height ?? undefined, resize: 'contain' };
    const transform = preview ? valid(() => transformationOf(fitted)) : undefined;
    const path = input.upload
      ? (await signUpload(entry, bucket, name, null, true)).url
      : await sign(entry, bucket, name, input.expiresIn, transform);
    return `${this.config.publicUrl}/p/${entry.ref}/storage/v1${path}`;
  }

  /** Deletes objects (their rows, then their bytes); returns how many there were. Audited. */
  async remove(identity: Identity, origin: RequestOrigin, projectId: string, bucket: string, paths: string[]) {
    const project = await this.access.authorize(identity, projectId, true);
    const names = paths.map((path) => valid(() => objectName(path)));
    const ids = await this.access.asService(project, async (client) => {
      const { rows } = await client.query<{ id: string }>(
        `delete from ${schemaOf(project.ref)}.objects where bucket_id = $1 and name = any($2) returning id`,
        [valid(() => bucketId(bucket)), names],
      );
      return rows.map((row) => row.id);
    });
    await removeBytes({ s3: this.s3, s3Bucket: projectBucket(project.ref) }, ids.map(objectKey));
    await this.access.audit(identity, origin, 'project_storage.objects_deleted', project, { bucket, paths: names });
    return ids.length;
  }
}

/** Storage's own input checks, as the control API's INVALID_INPUT. */
function valid<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    throw new CanopyError('INVALID_INPUT', (error as Error).message, 400);
  }
}

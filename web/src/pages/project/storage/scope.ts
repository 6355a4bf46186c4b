/** What the storage pages share: the project's storage API with its service_role key (for writers), and URLs. */
import type { Client } from '@urql/core';
import { errorMessage } from '../../../graphql/client.ts';
import { ProjectApiError, projectFetch } from '../../../project-api.ts';
import { serviceKeySource } from '../common/credentials.ts';

export interface BucketDetails {
  id: string;
  name: string;
  public: boolean;
  file_size_limit: number | null;
  allowed_mime_types: string[] | null;
}

export interface StorageApi {
  /** Calls `/storage/v1<path>` with the service_role key; once more with a fresh key if it was rotated meanwhile. */
  call<T>(path: string, init?: { method?: string; body?: object }): Promise<T>;
}

export function storageApi(client: Client, ref: () => string, projectId: () => string): StorageApi {
  const key = serviceKeySource(client, projectId);
  return {
    async call<T>(path: string, init: { method?: string; body?: object } = {}) {
      try {
        return await projectFetch<T>(ref(), await key(), `/storage/v1${path}`, init);
      } catch (error) {
        if (!(error instanceof ProjectApiError) || error.status !== 401) throw error;
        return projectFetch<T>(ref(), await key(true), `/storage/v1${path}`, init);
      }
    },
  };
}

const SIGNED_URL = `mutation StorageUrl(
  $projectId: UUID!
  $bucket: String!
  $path: String!
  $upload: Boolean
  $expiresIn: Int
  $width: Int
  $height: Int
) {
  createProjectStorageUrl(
    projectId: $projectId
    bucket: $bucket
    path: $path
    upload: $upload
    expiresIn: $expiresIn
    width: $width
    height: $height
  )
}`;

/**
 * A signed URL of the storage API for one object (a download; with `upload` a PUT; with `width` and `height` an
 * image's preview within them). The API writes the object's name into the path as it is; here each segment is
 * escaped, so that names with spaces, `?` or `#` survive.
 */
export async function signedUrl(
  client: Client,
  input: { projectId: string; bucket: string; path: string; upload?: boolean; expiresIn?: number; width?: number; height?: number },
): Promise<string> {
  const result = await client.mutation(SIGNED_URL, { upload: false, expiresIn: 600, ...input }).toPromise();
  if (result.error) throw new Error(errorMessage(result.error));
  const url = result.data.createProjectStorageUrl as string;
  const query = url.lastIndexOf('?token=');
  const route = input.upload ? 'object/upload/sign' : input.width || input.height ? 'render/image/sign' : 'object/sign';
  const marker = `/${route}/${input.bucket}/`;
  const start = url.indexOf(marker);
  if (query < 0 || start < 0) return url;
  const name = url.slice(start + marker.length, query);
  return `${url.slice(0, start + marker.length)}${name.split('/').map(encodeURIComponent).join('/')}${url.slice(query)}`;
}

/** Storage's rule for bucket names (server/src/projects/storage/input.ts). */
export function bucketNameError(name: string): string | undefined {
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(name) || name === '.' || name === '..') {
    return 'A bucket name is 1 to 100 letters, digits, dots, dashes or underscores';
  }
  return undefined;
}

/** One segment of an object's path (a folder or file name). */
export function segmentError(name: string): string | undefined {
  if (!name) return 'Give it a name';
  if (name.includes('/')) return 'A name cannot contain /';
  if (name === '.' || name === '..') return 'A name cannot be . or ..';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'A name cannot contain control characters';
  if (new TextEncoder().encode(name).length > 900) return 'That name is too long';
  return undefined;
}

/** Whether a bucket's MIME rules take `type` (as the storage API decides; image/* takes image/png). */
export function mimeAllowed(type: string, allowed: string[] | null): boolean {
  if (!allowed || allowed.length === 0) return true;
  const lower = (type || 'application/octet-stream').toLowerCase();
  return allowed.some((pattern) => {
    const rule = pattern.toLowerCase();
    return rule === lower || (rule.endsWith('/*') && lower.startsWith(rule.slice(0, -1)));
  });
}

/** The console's URL of a bucket's folder (`prefix` ends with `/`, or is empty for the bucket's top). */
export function folderHref(ref: string, bucket: string, prefix = ''): string {
  const parts = [bucket, ...prefix.split('/').filter(Boolean)].map(encodeURIComponent);
  return `/project/${ref}/storage/${parts.join('/')}`;
}

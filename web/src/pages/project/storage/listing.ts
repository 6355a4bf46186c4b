/**
 * One folder of a bucket: its sub-folders and files. Writers list through the storage API (`POST /object/list`,
 * one level with folders, as Supabase's dashboard does); read-only members, who have no key that may list, through
 * the control API's `projectStorageObjects`, whose names under the prefix are grouped into folders here.
 */
import type { Client } from '@urql/core';
import { errorMessage } from '../../../graphql/client.ts';
import type { StorageApi } from './scope.ts';

/** Supabase's dashboard makes a folder by storing this empty object in it; it is not shown as a file. */
export const FOLDER_PLACEHOLDER = '.emptyFolderPlaceholder';

export interface Entry {
  kind: 'folder' | 'file';
  /** The name within the folder. */
  name: string;
  /** The object's whole name, or for a folder its prefix (ending with `/`). */
  path: string;
  size?: number;
  mimeType?: string | null;
  updatedAt?: string | null;
}

export interface FolderPage {
  entries: Entry[];
  /** Where the next page starts, when there is more (in the lister's own units). */
  next?: number;
}

export type Lister = (bucket: string, prefix: string, offset: number, limit: number) => Promise<FolderPage>;

interface ApiItem {
  name: string;
  id: string | null;
  updated_at: string | null;
  metadata: { size?: number; mimetype?: string } | null;
}

export function apiLister(api: StorageApi): Lister {
  return async (bucket, prefix, offset, limit) => {
    const items = await api.call<ApiItem[]>(`/object/list/${encodeURIComponent(bucket)}`, {
      body: { prefix, limit, offset, sortBy: { column: 'name', order: 'asc' } },
    });
    return {
      next: items.length === limit ? offset + limit : undefined,
      entries: items.map((item) =>
        item.id === null
          ? { kind: 'folder', name: item.name, path: `${prefix}${item.name}/` }
          : {
              kind: 'file',
              name: item.name,
              path: `${prefix}${item.name}`,
              size: item.metadata?.size,
              mimeType: item.metadata?.mimetype ?? null,
              updatedAt: item.updated_at,
            },
      ),
    };
  };
}

const OBJECTS = `query ProjectStorageObjects($projectId: UUID!, $bucket: String!, $prefix: String, $first: Int, $offset: Int) {
  projectStorageObjects(projectId: $projectId, bucket: $bucket, prefix: $prefix, first: $first, offset: $offset) {
    name size mimeType updatedAt
  }
}`;

interface StoredObject {
  name: string;
  size: number;
  mimeType: string | null;
  updatedAt: string;
}

/** Every object under the prefix, a page of 1,000 at a time, grouped: a folder shows once, on the page it begins. */
export function controlLister(client: Client, projectId: () => string): Lister {
  return async (bucket, prefix, offset) => {
    const first = 1000;
    const result = await client
      .query(OBJECTS, { projectId: projectId(), bucket, prefix, first, offset }, { requestPolicy: 'network-only' })
      .toPromise();
    if (result.error) throw new Error(errorMessage(result.error));
    const objects = (result.data?.projectStorageObjects ?? []) as StoredObject[];
    const entries: Entry[] = [];
    const folders = new Set<string>();
    for (const object of objects) {
      const rest = object.name.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash >= 0) {
        const name = rest.slice(0, slash);
        if (!folders.has(name)) entries.push({ kind: 'folder', name, path: `${prefix}${name}/` });
        folders.add(name);
      } else {
        entries.push({ kind: 'file', name: rest, path: object.name, size: object.size, mimeType: object.mimeType, updatedAt: object.updatedAt });
      }
    }
    return { entries, next: objects.length === first ? offset + first : undefined };
  };
}

/** Every object's name under a prefix (for deleting a folder), through the control API. */
export async function namesUnder(client: Client, projectId: string, bucket: string, prefix: string): Promise<string[]> {
  const names: string[] = [];
  for (let offset = 0; ; offset += 1000) {
    const result = await client
      .query(OBJECTS, { projectId, bucket, prefix, first: 1000, offset }, { requestPolicy: 'network-only' })
      .toPromise();
    if (result.error) throw new Error(errorMessage(result.error));
    const page = (result.data?.projectStorageObjects ?? []) as StoredObject[];
    names.push(...page.map((object) => object.name));
    if (page.length < 1000) return names;
  }
}

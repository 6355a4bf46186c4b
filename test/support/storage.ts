/** What the storage suites share: supabase-js clients of a project, its buckets and users, raw requests, SQL as its DBA. */
import { randomBytes } from 'node:crypto';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import pg from 'pg';
import type { ActiveProject } from './projects.ts';

export function supabase(project: ActiveProject, key = project.anonKey): SupabaseClient {
  return createClient(project.apiUrl, key, { auth: { persistSession: false, autoRefreshToken: false } });
}

export const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

export const bytes = (text: string) => new TextEncoder().encode(text);

/** SQL as the project's DBA (its owner login), as the project's developers write policies. */
export async function asDba<T = any>(project: ActiveProject, sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client(project.databaseUrl);
  await client.connect();
  try {
    return (await client.query(sql, values)).rows;
  } finally {
    await client.end();
  }
}

export async function newBucket(
  project: ActiveProject,
  options: Parameters<SupabaseClient['storage']['createBucket']>[1] = { public: false },
) {
  const id = unique('b');
  const { error } = await supabase(project, project.serviceRoleKey).storage.createBucket(id, options);
  if (error) throw error;
  return id;
}

/** A new end user of the project, signed in (with the anon key). */
export async function signedUp(project: ActiveProject) {
  const client = supabase(project);
  const { data, error } = await client.auth.signUp({ email: `${unique('user')}@example.com`, password: 'a fine passphrase' });
  if (error || !data.session) throw new Error(`sign-up failed: ${error?.message}`);
  return { client, user: data.user! };
}

/** A request to the project's /storage/v1 with its service role key (or `key`; none with null), its body parsed if JSON. */
export async function raw(project: ActiveProject, path: string, init: RequestInit & { key?: string | null } = {}) {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
  if (init.key !== null) headers.apikey = init.key ?? project.serviceRoleKey;
  const response = await fetch(`${project.apiUrl}/storage/v1${path}`, { ...init, headers });
  const buffer = Buffer.from(await response.arrayBuffer());
  let body: any = buffer.toString();
  try {
    body = JSON.parse(body);
  } catch {}
  return { status: response.status, body, buffer, headers: response.headers };
}

/**
 * A project's storage (/storage/v1), as app developers use it: through @supabase/supabase-js's storage client.
 * Buckets, uploads and downloads, listing, move, copy and remove; public buckets and URLs; RLS policies written by
 * the project's DBA (own folder per user); signed URLs; limits, quotas, MIME types and bad names refused with
 * Storage's error shape; isolation between projects; that a failed upload leaves neither row nor bytes; downloads
 * (ranges, headers, bytes missing from S3, aborted downloads, bytes asked for early) and the reader that streams them
 * from S3.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { SignJWT } from 'jose';
import { type ObjectReaderOptions, S3ObjectReader, S3ReadError, UnframedResponse } from '../server/src/storage/object-reader.ts';
import { openBytes } from '../server/src/projects/storage/routes/s3-bytes.ts';
import { createS3Client, projectBucket } from '../server/src/storage/s3.ts';
import { type SignedInUser, signUp as signUpOwner } from './support/client.ts';
import { newOrganization, waitFor } from './support/org-fixtures.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';
import { type ActiveProject, activeProject } from './support/projects.ts';
import { asDba, bytes, newBucket, raw, signedUp, supabase, unique } from './support/storage.ts';

/** Canopy's connections to S3, as the proxy between them saw them: the request lines sent on each, and whether
 * it is closed. */
const s3Connections: Array<{ requests: string[]; closed: boolean }> = [];
let s3Proxy: net.Server | undefined;

/** A TCP proxy in front of the suite's S3 server, which the platform of this file is given as its S3. */
async function startS3Proxy(target: { endPoint: string; port: number }) {
  const server = net.createServer((client) => {
    const connection = { requests: [] as string[], closed: false };
    s3Connections.push(connection);
    const upstream = net.connect(target.port, target.endPoint);
    client.on('data', (chunk: Buffer) => {
      const line = chunk.toString('latin1', 0, Math.min(chunk.length, 2048)).split('\r\n')[0];
      if (/^(GET|PUT|POST|HEAD|DELETE) \//.test(line)) connection.requests.push(line);
    });
    client.pipe(upstream).pipe(client);
    const close = () => {
      connection.closed = true;
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) socket.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

let platform: TestPlatform;
test.before(async () => {
  const s3 = JSON.parse(process.env.CANOPY_TEST_S3!);
  // Not in front of an S3 on https (its certificate names its own host).
  if (!s3.useSSL) {
    s3Proxy = await startS3Proxy(s3);
    process.env.CANOPY_TEST_S3 = JSON.stringify({ ...s3, endPoint: '127.0.0.1', port: (s3Proxy.address() as net.AddressInfo).port });
  }
  platform = await startTestPlatform();
});
test.after.always(async () => {
  await platform?.stop();
  s3Proxy?.close();
});

type Project = ActiveProject & { owner: SignedInUser };

let shared: Promise<Project> | undefined;
function sharedProject() {
  shared ??= signUpOwner(platform).then(async (owner) => ({ ...(await activeProject(platform, owner)), owner }));
  return shared;
}

/** The S3 keys of a project's stored bytes. */
async function storedKeys(project: ActiveProject) {
  const names: string[] = [];
  const s3 = createS3Client(platform.services.s3);
  for await (const item of s3.listObjectsV2(projectBucket(project.ref), 'objects/', true)) if (item.name) names.push(item.name);
  return names.sort();
}

test('buckets: create, list, get, update, empty and delete with the service role key', async (t) => {
  const project = await sharedProject();
  const storage = supabase(project, project.serviceRoleKey).storage;
  const id = unique('photos');
  t.deepEqual((await storage.createBucket(id, { public: false, fileSizeLimit: '1MB', allowedMimeTypes: ['image/*'] })).data, { name: id });
  const again = await storage.createBucket(id);
  t.is((again.error as any)?.status, 409);

  const { data: got } = await storage.getBucket(id);
  t.like(got, { id, name: id, public: false, file_size_limit: 1_000_000, allowed_mime_types: ['image/*'] });
  t.true((await storage.listBuckets()).data!.some((bucket) => bucket.id === id));

  t.falsy((await storage.updateBucket(id, { public: true, fileSizeLimit: 2048, allowedMimeTypes: ['text/plain'] })).error);
  t.like((await storage.getBucket(id)).data, { public: true, file_size_limit: 2048, allowed_mime_types: ['text/plain'] });

  t.falsy((await storage.from(id).upload('a.txt', bytes('a'), { contentType: 'text/plain' })).error);
  const notEmpty = await storage.deleteBucket(id);
  t.is((notEmpty.error as any)?.status, 409);
  t.falsy((await storage.emptyBucket(id)).error);
  t.falsy((await storage.deleteBucket(id)).error);
  const gone = await storage.getBucket(id);
  t.is((gone.error as any)?.status, 404);
  t.is((gone.error as any)?.statusCode, '404');

  // The anon key manages no bucket (no policy allows it).
  const anon = supabase(project).storage;
  t.is(((await anon.createBucket(unique('x'))).error as any)?.status, 403);
  t.deepEqual((await anon.listBuckets()).data, []);
});

test('names and metadata with quotes, semicolons and backslashes are stored as written', async (t) => {
  // An upload's row goes to Postgres as escaped literals in one simple query: nothing in a name may end one early.
  // (A backslash in a name would reach the server as "/": URLs read it so.)
  const project = await sharedProject();
  const files = supabase(project, project.serviceRoleKey).storage.from(await newBucket(project));
  const name = `it's "quoted"; select 1; $$ -- E'x'.txt`;
  const metadata = { note: `O'Brien said "hi"; \\n -- not a comment` };
  t.falsy((await files.upload(name, bytes('escaped'), { contentType: 'text/plain', metadata })).error);
  t.falsy((await files.upload(name, bytes('escaped again'), { contentType: 'text/plain', upsert: true, metadata })).error);
  t.is(await (await files.download(name)).data!.text(), 'escaped again');
  t.like((await files.info(name)).data, { name, metadata });
  t.deepEqual((await files.list()).data!.map((item) => item.name), [name]);
});

test('objects: upload, download, info, exists, list, move, copy and remove', async (t) => {
  const project = await sharedProject();
  const files = supabase(project, project.serviceRoleKey).storage.from(await newBucket(project));

  const uploaded = await files.upload('docs/readme.txt', bytes('hello storage'), { contentType: 'text/plain' });
  t.falsy(uploaded.error);
  t.is(uploaded.data!.path, 'docs/readme.txt');
  t.truthy(uploaded.data!.id);
  t.is(((await files.upload('docs/readme.txt', bytes('again'))).error as any)?.status, 409);
  t.falsy((await files.upload('docs/readme.txt', bytes('hello again'), { upsert: true, contentType: 'text/plain' })).error);
  t.falsy((await files.update('docs/readme.txt', bytes('hello, updated'), { contentType: 'text/plain' })).error);
  t.falsy((await files.upload('docs/日本語 ✓.txt', bytes('unicode'), { contentType: 'text/plain' })).error);
  t.falsy((await files.upload('top.bin', bytes('top'))).error);

  const downloaded = await files.download('docs/readme.txt');
  t.is(await downloaded.data!.text(), 'hello, updated');
  t.is(downloaded.data!.type, 'text/plain');
  t.is(await (await files.download('docs/日本語 ✓.txt')).data!.text(), 'unicode');
  t.is(((await files.download('docs/none.txt')).error as any)?.status, 404);

  const info = await files.info('docs/readme.txt');
  t.like(info.data, { name: 'docs/readme.txt', size: 14, contentType: 'text/plain' });
  t.true((await files.exists('docs/readme.txt')).data);
  t.false((await files.exists('docs/none.txt')).data);

  const top = await files.list();
  t.deepEqual(top.data!.map((item) => [item.name, item.id === null]), [['docs', true], ['top.bin', false]]);
  const docs = await files.list('docs', { sortBy: { column: 'name', order: 'desc' } });
  t.deepEqual(docs.data!.map((item) => item.name), ['日本語 ✓.txt', 'readme.txt']);
  t.deepEqual((await files.list('docs', { search: 'read' })).data!.map((item) => item.name), ['readme.txt']);
  t.is((await files.list('docs', { limit: 1, offset: 1 })).data!.length, 1);

  t.falsy((await files.move('top.bin', 'moved/top.bin')).error);
  t.is(((await files.download('top.bin')).error as any)?.status, 404);
  t.is(await (await files.download('moved/top.bin')).data!.text(), 'top');
  t.falsy((await files.copy('moved/top.bin', 'copied/top.bin')).error);
  t.is(await (await files.download('copied/top.bin')).data!.text(), 'top');

  // Blobs and Files go as multipart/form-data, streamed too (5 MB here, across many chunks).
  const large = randomBytes(5_000_000);
  t.falsy((await files.upload('blobs/large.bin', new Blob([large], { type: 'application/x-test' }))).error);
  const back = await files.download('blobs/large.bin');
  t.true(Buffer.from(await back.data!.arrayBuffer()).equals(large));
  t.is(back.data!.type, 'application/x-test');
  t.is((await files.info('blobs/large.bin')).data!.size, 5_000_000);
  t.falsy((await files.upload('blobs/file.txt', new File(['a file'], 'file.txt', { type: 'text/plain' }))).error);
  t.is(await (await files.download('blobs/file.txt')).data!.text(), 'a file');

  // Range requests.
  const ranged = await raw(project, `/object/${(files as any).bucketId}/docs/readme.txt`, { headers: { range: 'bytes=0-4' } });
  t.is(ranged.status, 206);
  t.is(ranged.body, 'hello');

  const removed = await files.remove(['moved/top.bin', 'copied/top.bin', 'docs/none.txt']);
  t.deepEqual(removed.data!.map((item) => item.name).sort(), ['copied/top.bin', 'moved/top.bin']);
  t.is(((await files.download('copied/top.bin')).error as any)?.status, 404);
});

test("objects carry the app's own metadata (x-metadata and multipart), shown by info and kept by copy", async (t) => {
  const project = await sharedProject();
  const files = supabase(project, project.serviceRoleKey).storage.from(await newBucket(project));

  t.falsy((await files.upload('raw.txt', bytes('raw'), { metadata: { album: 'summer', stars: 5 } })).error);
  t.deepEqual((await files.info('raw.txt')).data?.metadata, { album: 'summer', stars: 5 });
  t.falsy((await files.upload('form.txt', new Blob(['form']), { metadata: { from: 'a form' } })).error);
  t.deepEqual((await files.info('form.txt')).data?.metadata, { from: 'a form' });
  t.falsy((await files.copy('raw.txt', 'copy.txt')).error);
  t.deepEqual((await files.info('copy.txt')).data?.metadata, { album: 'summer', stars: 5 });
  // Replacing an object replaces its metadata; none is an empty object.
  t.falsy((await files.upload('raw.txt', bytes('new'), { upsert: true })).error);
  t.deepEqual((await files.info('raw.txt')).data?.metadata, {});

  const bucket = (files as any).bucketId;
  for (const metadata of ['not base64 json', Buffer.from('[1, 2]').toString('base64'), Buffer.from(JSON.stringify({ big: 'x'.repeat(9000) })).toString('base64')]) {
    const refused = await raw(project, `/object/${bucket}/bad.txt`, { method: 'POST', headers: { 'x-metadata': metadata }, body: 'x' });
    t.like(refused, { status: 400, body: { error: 'invalid_input' } });
  }
  t.false((await files.exists('bad.txt')).data);
});

test('listV2: every object under a prefix, or one level with_delimiter, in pages joined by a cursor', async (t) => {
  const project = await sharedProject();
  const files = supabase(project, project.serviceRoleKey).storage.from(await newBucket(project));
  for (const name of ['a/1.txt', 'a/2.txt', 'a/b/3.txt', 'a/b/4.txt', 'a/c/5.txt', 'z.txt']) {
    t.falsy((await files.upload(name, bytes(name))).error);
  }
  const flat = await files.listV2({ prefix: 'a/' });
  t.is(flat.error, null);
  t.deepEqual(flat.data!.objects.map((object) => object.name), ['a/1.txt', 'a/2.txt', 'a/b/3.txt', 'a/b/4.txt', 'a/c/5.txt']);
  t.false(flat.data!.hasNext);

  const level = await files.listV2({ prefix: 'a/', with_delimiter: true });
  t.deepEqual(level.data!.folders.map((folder) => folder.key), ['a/b/', 'a/c/']);
  t.deepEqual(level.data!.objects.map((object) => object.name), ['a/1.txt', 'a/2.txt']);

  // Pages of two, newest first, while an object is added between pages: nothing is skipped or repeated.
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await files.listV2({ prefix: 'a/', limit: 2, cursor, sortBy: { column: 'created_at', order: 'desc' } });
    t.is(page.error, null);
    seen.push(...page.data!.objects.map((object) => object.name));
    cursor = page.data!.nextCursor;
    if (seen.length === 2) await files.upload('a/0-late.txt', bytes('late'));
  } while (cursor);
  t.deepEqual(seen, ['a/c/5.txt', 'a/b/4.txt', 'a/b/3.txt', 'a/2.txt', 'a/1.txt']);

  const bucket = (files as any).bucketId;
  for (const body of [{ cursor: 'garbage' }, { limit: 0 }, { with_delimiter: true, sortBy: { column: 'created_at' } }]) {
    const refused = await raw(project, `/object/list-v2/${bucket}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    t.like(refused, { status: 400, body: { error: 'invalid_input' } }, JSON.stringify(body));
  }
  // The anon key, with no policy, lists nothing.
  t.deepEqual((await supabase(project).storage.from(bucket).listV2()).data?.objects, []);
});

test('public buckets: readable by the anon key and by public URL without a key; private ones are not', async (t) => {
  const project = await sharedProject();
  const service = supabase(project, project.serviceRoleKey).storage;
  const open = await newBucket(project, { public: true });
  const closed = await newBucket(project);
  await service.from(open).upload('cat.txt', bytes('meow'), { contentType: 'text/plain' });
  await service.from(closed).upload('secret.txt', bytes('psst'), { contentType: 'text/plain' });

  const anon = supabase(project).storage;
  t.is(await (await anon.from(open).download('cat.txt')).data!.text(), 'meow');
  const url = anon.from(open).getPublicUrl('cat.txt').data.publicUrl;
  const response = await fetch(url);
  t.is(response.status, 200);
  t.is(await response.text(), 'meow');

  t.is(((await anon.from(closed).download('secret.txt')).error as any)?.status, 404);
  t.is((await fetch(anon.from(closed).getPublicUrl('secret.txt').data.publicUrl)).status, 400);
  t.deepEqual((await anon.from(closed).list()).data, []);
  // Reading is all the public bucket allows.
  t.is(((await anon.from(open).upload('dog.txt', bytes('woof'))).error as any)?.status, 403);
  t.is((await anon.from(open).remove(['cat.txt'])).data!.length, 0);
});

test('an uploaded HTML page is served sandboxed: on the console\'s origin it runs no script and has no rights', async (t) => {
  const project = await sharedProject();
  const open = await newBucket(project, { public: true });
  const page = '<script>fetch("/graphql", { method: "POST", credentials: "include" })</script>';
  await supabase(project, project.serviceRoleKey).storage.from(open).upload('x.html', bytes(page), { contentType: 'text/html' });
  const response = await fetch(supabase(project).storage.from(open).getPublicUrl('x.html').data.publicUrl);
  t.is(response.status, 200);
  t.regex(response.headers.get('content-security-policy') ?? '', /\bsandbox\b/);
  t.regex(response.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  t.is(response.headers.get('x-content-type-options'), 'nosniff');
});

test("keyless downloads (public URLs, signed URLs) count as the project's traffic", async (t) => {
  const project = await activeProject(platform, await signUpOwner(platform));
  const bucket = await newBucket(project, { public: true });
  const files = supabase(project, project.serviceRoleKey).storage.from(bucket);
  await files.upload('cat.txt', bytes('meow'));
  const requests = async () => {
    const { rows } = await platform.owner.query<{ n: number }>(
      'select coalesce(sum(api_requests), 0)::int as n from app_private.project_usage where project_id = $1',
      [project.id],
    );
    return rows[0].n;
  };
  // The bucket and the upload, once written (each flush writes everything counted before it).
  const before = await waitFor(
    'the keyed requests to be counted',
    async () => {
      const counted = await requests();
      return counted >= 2 && counted;
    },
    15_000,
  );

  t.is((await fetch(files.getPublicUrl('cat.txt').data.publicUrl)).status, 200);
  const signed = await files.createSignedUrl('cat.txt', 60);
  t.is((await fetch(signed.data!.signedUrl)).status, 200);
  await waitFor('the keyless downloads to be counted', async () => (await requests()) === before + 3, 15_000);
  t.pass();
});

test('private buckets with an own-folder policy: user A cannot read or write user B’s files', async (t) => {
  const owner = await signUpOwner(platform);
  const project = { ...(await activeProject(platform, owner)), owner };
  const bucket = await newBucket(project);
  const schema = `p_${project.ref}_storage`;
  const a = await signedUp(project);
  const b = await signedUp(project);

  t.is(((await a.client.storage.from(bucket).upload(`${a.user.id}/a.txt`, bytes('a'))).error as any)?.status, 403);

  // The project's policy, as its developers would write it: each user owns the folder named after their id.
  const own = `bucket_id = '${bucket}' and (string_to_array(name, '/'))[1] = canopy.uid()::text`;
  await asDba(project, `
    create policy own_folder_select on ${schema}.objects for select using (${own});
    create policy own_folder_insert on ${schema}.objects for insert with check (${own});
    create policy own_folder_update on ${schema}.objects for update using (${own}) with check (${own});
    create policy own_folder_delete on ${schema}.objects for delete using (${own});
  `);

  const filesA = a.client.storage.from(bucket);
  const filesB = b.client.storage.from(bucket);
  t.falsy((await filesA.upload(`${a.user.id}/a.txt`, bytes('from a'))).error);
  t.falsy((await filesB.upload(`${b.user.id}/b.txt`, bytes('from b'))).error);
  t.is(((await filesA.upload(`${b.user.id}/intruder.txt`, bytes('x'))).error as any)?.status, 403);

  t.is(await (await filesA.download(`${a.user.id}/a.txt`)).data!.text(), 'from a');
  t.is(((await filesA.download(`${b.user.id}/b.txt`)).error as any)?.status, 404);
  t.deepEqual((await filesA.list(b.user.id)).data, []);
  t.deepEqual((await filesA.list()).data!.map((item) => item.name), [a.user.id]);
  t.is(((await filesA.createSignedUrl(`${b.user.id}/b.txt`, 60)).error as any)?.status, 404);
  t.is((await filesA.remove([`${b.user.id}/b.txt`])).data!.length, 0);
  t.is(((await filesA.move(`${b.user.id}/b.txt`, `${a.user.id}/stolen.txt`)).error as any)?.status, 404);
  t.is(((await filesA.copy(`${b.user.id}/b.txt`, `${a.user.id}/stolen.txt`)).error as any)?.status, 404);
  t.is(((await filesA.move(`${a.user.id}/a.txt`, `${b.user.id}/gift.txt`)).error as any)?.status, 403);
  t.is(await (await filesB.download(`${b.user.id}/b.txt`)).data!.text(), 'from b');
  // The anon key still sees nothing.
  t.is(((await supabase(project).storage.from(bucket).download(`${a.user.id}/a.txt`)).error as any)?.status, 404);
  // Owners are recorded.
  const rows = await asDba(project, `select owner::text, name from ${schema}.objects order by name`);
  t.deepEqual(rows, [
    { owner: a.user.id, name: `${a.user.id}/a.txt` },
    { owner: b.user.id, name: `${b.user.id}/b.txt` },
  ].sort((x, y) => (x.name < y.name ? -1 : 1)));
});

test('signed URLs: work without a key, only for their object, until they expire', async (t) => {
  const project = await sharedProject();
  const bucket = await newBucket(project);
  const files = supabase(project, project.serviceRoleKey).storage.from(bucket);
  await files.upload('dir/report.pdf', bytes('%PDF'), { contentType: 'application/pdf' });
  await files.upload('dir/other.pdf', bytes('other'), { contentType: 'application/pdf' });

  const { data, error } = await files.createSignedUrl('dir/report.pdf', 60);
  t.falsy(error);
  const response = await fetch(data!.signedUrl);
  t.is(response.status, 200);
  t.is(await response.text(), '%PDF');
  t.is(response.headers.get('content-type'), 'application/pdf');

  const many = await files.createSignedUrls(['dir/report.pdf', 'dir/none.pdf'], 60);
  t.is(await (await fetch(many.data![0]!.signedUrl!)).text(), '%PDF');
  t.truthy(many.data![1]!.error);

  // The token names its object: it opens no other.
  const token = new URL(data!.signedUrl).searchParams.get('token');
  const other = await fetch(`${project.apiUrl}/storage/v1/object/sign/${bucket}/dir/other.pdf?token=${token}`);
  t.is(other.status, 400);
  t.is(((await other.json()) as any).error, 'invalid_jwt');
  // Nor is it an API key.
  t.is((await raw(project, `/bucket`, { key: token })).status, 401);

  const expired = await new SignJWT({ url: `${bucket}/dir/report.pdf`, purpose: 'storage:download', ref: project.ref })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(Math.floor(Date.now() / 1000) - 120)
    .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
    .sign(new TextEncoder().encode(project.jwtSecret));
  const late = await fetch(`${project.apiUrl}/storage/v1/object/sign/${bucket}/dir/report.pdf?token=${expired}`);
  t.is(late.status, 400);
  t.like(await late.json(), { statusCode: '400', error: 'invalid_jwt', message: 'jwt expired' });
});

test('signed upload URLs: made by someone who may write, used by anyone holding them, for that object only', async (t) => {
  const owner = await signUpOwner(platform);
  const project = await activeProject(platform, owner);
  const bucket = await newBucket(project);
  const user = await signedUp(project);
  const files = user.client.storage.from(bucket);
  // Nobody may write yet: no URL either.
  t.is(((await files.createSignedUploadUrl(`${user.user.id}/up.txt`)).error as any)?.status, 403);
  await asDba(
    project,
    `create policy own_insert on "p_${project.ref}_storage".objects for insert
       with check (bucket_id = '${bucket}' and (string_to_array(name, '/'))[1] = canopy.uid()::text)`,
  );
  const { data, error } = await files.createSignedUploadUrl(`${user.user.id}/up.txt`);
  t.falsy(error);
  // Used with the anon key (another device, say): the object is the URL maker's.
  const anonFiles = supabase(project).storage.from(bucket);
  t.falsy((await anonFiles.uploadToSignedUrl(`${user.user.id}/up.txt`, data!.token, bytes('signed'), { contentType: 'text/plain' })).error);
  const service = supabase(project, project.serviceRoleKey).storage.from(bucket);
  t.is(await (await service.download(`${user.user.id}/up.txt`)).data!.text(), 'signed');
  const rows = await asDba(project, `select owner::text from "p_${project.ref}_storage".objects where name = $1`, [`${user.user.id}/up.txt`]);
  t.deepEqual(rows, [{ owner: user.user.id }]);
  // Once written, the same token does not overwrite (it was not made for upsert), nor write elsewhere.
  t.is(((await anonFiles.uploadToSignedUrl(`${user.user.id}/up.txt`, data!.token, bytes('again'))).error as any)?.status, 409);
  t.is(((await anonFiles.uploadToSignedUrl(`${user.user.id}/other.txt`, data!.token, bytes('x'))).error as any)?.status, 400);
});

test('limits: file size (413, before the bytes are stored), MIME types, and bad names are refused in Storage’s shape', async (t) => {
  const project = await sharedProject();
  const bucket = await newBucket(project, { public: false, fileSizeLimit: 1024, allowedMimeTypes: ['image/png', 'text/*'] });
  const files = supabase(project, project.serviceRoleKey).storage.from(bucket);

  const big = await files.upload('big.png', new Uint8Array(2048), { contentType: 'image/png' });
  t.is((big.error as any)?.status, 413);
  t.is((big.error as any)?.statusCode, '413');
  t.falsy((await files.upload('ok.png', new Uint8Array(1024), { contentType: 'image/png' })).error);
  t.falsy((await files.upload('ok.txt', bytes('x'), { contentType: 'text/plain; charset=utf-8' })).error);
  const wrongType = await files.upload('bad.gif', new Uint8Array(10), { contentType: 'image/gif' });
  t.is((wrongType.error as any)?.status, 415);

  const names = [
    'a%2F..%2Fb.txt',
    '..%2Fescape.txt',
    'dir%2F.%2Fx.txt',
    'dir//x.txt',
    'ctrl%01.txt',
    'new%0Aline.txt',
    `${'x'.repeat(1024)}.txt`,
    'trailing/',
  ];
  for (const name of names) {
    const response = await raw(project, `/object/${bucket}/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    t.is(response.status, 400, name);
    t.is(response.body.statusCode, '400', name);
    t.is(response.body.error, 'invalid_input', name);
  }
  t.is((await raw(project, `/object/${bucket}/`, { method: 'POST', body: 'x' })).status, 400);
  // Names that look like traversal but are ordinary once decoded are just names.
  t.falsy((await files.upload('..dots../x.txt', bytes('fine'), { contentType: 'text/plain' })).error);
  const stored = await asDba(project, `select name from "p_${project.ref}_storage".objects where bucket_id = $1 order by name`, [bucket]);
  t.deepEqual(stored.map((row) => row.name), ['..dots../x.txt', 'ok.png', 'ok.txt']);

  // A multipart body whose file is not its last part is refused, and leaves nothing.
  const form = new FormData();
  form.append('', new Blob(['text'], { type: 'text/plain' }));
  form.append('after', 'the file');
  const notLast = await raw(project, `/object/${bucket}/form.txt`, { method: 'POST', body: form });
  t.like(notLast, { status: 400, body: { statusCode: '400', error: 'invalid_input' } });
  t.false((await files.exists('form.txt')).data);

  // An upload of unknown length (chunked) is refused: the length decides the limit before any byte is stored.
  const chunked = await new Promise<number>((resolve, reject) => {
    const url = new URL(`${project.apiUrl}/storage/v1/object/${bucket}/chunked.txt`);
    const request = http.request(url, { method: 'POST', headers: { apikey: project.serviceRoleKey, 'content-type': 'text/plain' } }, (response) => {
      response.resume();
      resolve(response.statusCode!);
    });
    request.on('error', reject);
    request.write('some');
    request.end('bytes');
  });
  t.is(chunked, 411);
  // Bad JSON and unknown routes answer in the same shape, never with a stack.
  const badJson = await raw(project, '/bucket', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
  t.like(badJson, { status: 400, body: { statusCode: '400', error: 'invalid_input' } });
  t.like(await raw(project, '/nothing'), { status: 404, body: { statusCode: '404', error: 'not_found' } });
  t.like(await raw(project, '/bucket', { key: null }), { status: 401, body: { statusCode: '401' } });
});

test("the plan's storage quota: an upload that would pass it is refused before its bytes are stored", async (t) => {
  const owner = await signUpOwner(platform);
  const org = await newOrganization(platform, owner);
  const plan = unique('tiny');
  await platform.owner.query(
    `insert into app_public.plans (id, name, max_projects, max_storage_bytes, sort_order) values ($1, 'Tiny', 1, 3000, 9)`,
    [plan],
  );
  await platform.owner.query('update app_public.organizations set plan_id = $1 where id = $2', [plan, org.id]);
  const project = await activeProject(platform, owner, org);
  const bucket = await newBucket(project);
  const files = supabase(project, project.serviceRoleKey).storage.from(bucket);

  t.falsy((await files.upload('first.bin', new Uint8Array(2000))).error);
  const over = await raw(project, `/object/${bucket}/second.bin`, { method: 'POST', body: new Uint8Array(2000) });
  t.like(over, { status: 413, body: { statusCode: '413', error: 'quota_exceeded' } });
  t.false((await files.exists('second.bin')).data);
  t.is((await storedKeys(project)).length, 1);

  // Replacing an object counts its new size, not both; removing one makes room.
  t.falsy((await files.upload('first.bin', new Uint8Array(2900), { upsert: true })).error);
  t.is((await storedKeys(project)).length, 1, 'the replaced bytes are removed');
  t.like((await files.upload('third.bin', new Uint8Array(200))).error, { status: 413 } as object);
  t.falsy((await files.remove(['first.bin'])).error);
  t.falsy((await files.upload('second.bin', new Uint8Array(2000))).error);
});

test('an aborted upload leaves no row and no bytes', async (t) => {
  // A project of its own: its S3 keys are this test's alone.
  const project = await activeProject(platform, await signUpOwner(platform));
  const bucket = await newBucket(project);
  const keys = () => storedKeys(project);
  const before = await keys();

  const url = new URL(`${project.apiUrl}/storage/v1/object/${bucket}/aborted.bin`);
  await new Promise<void>((resolve) => {
    const request = http.request(url, {
      method: 'POST',
      headers: { apikey: project.serviceRoleKey, 'content-type': 'application/octet-stream', 'content-length': '100000' },
    });
    request.on('error', () => resolve());
    request.on('response', () => resolve());
    request.write(Buffer.alloc(10_000), () => setImmediate(() => request.destroy()));
  });

  // The name is free (no row), and once the server is done with the aborted request nothing of it is left in S3.
  const files = supabase(project, project.serviceRoleKey).storage.from(bucket);
  t.falsy((await files.upload('aborted.bin', bytes('complete'))).error);
  const rows = await asDba(project, `select id::text from "p_${project.ref}_storage".objects where bucket_id = $1`, [bucket]);
  t.is(rows.length, 1);
  await waitFor('the aborted bytes to be gone', async () => {
    const now = await keys();
    return now.length === before.length + 1 && now.includes(`objects/${rows[0].id}`);
  });
  t.pass();
});

test('isolation: keys, users and signed URLs of one project get nothing of another’s buckets (same and other org)', async (t) => {
  const a = await sharedProject();
  const sameOrg = await activeProject(platform, a.owner, a.org);
  const otherOrg = await activeProject(platform, await signUpOwner(platform));
  const user = await signedUp(a);
  const { data: session } = await user.client.auth.getSession();
  const token = session.session!.access_token;

  for (const target of [sameOrg, otherOrg]) {
    const bucket = await newBucket(target, { public: true });
    await supabase(target, target.serviceRoleKey).storage.from(bucket).upload('x.txt', bytes('x'));
    const own = supabase(target, target.serviceRoleKey).storage.from(bucket);
    const { data } = await own.createSignedUrl('x.txt', 60);
    const signedToken = new URL(data!.signedUrl).searchParams.get('token');

    // Another project's service key, or its user's token with the target's anon key.
    t.is((await raw(target, '/bucket', { key: a.serviceRoleKey })).status, 401);
    t.is((await raw(target, `/object/${bucket}/x.txt`, { key: a.serviceRoleKey })).status, 401);
    t.is((await raw(target, `/object/list-v2/${bucket}`, { method: 'POST', key: a.serviceRoleKey })).status, 401);
    t.is((await raw(target, `/object/public/${bucket}/x.txt`, { key: a.anonKey })).status, 401);
    t.is((await raw(target, `/bucket`, { key: target.anonKey, headers: { authorization: `Bearer ${token}` } })).status, 401);
    // Project A's own API does not know B's bucket, and B's signed token does not open it through A.
    t.is((await raw(a, `/bucket/${bucket}`)).status, 404);
    // Nor do conditions on a guessed object say it is there (a 304 or 412 would): not found.
    for (const condition of [{ 'if-none-match': '*' }, { 'if-match': '"guess"' }, { 'if-modified-since': new Date().toUTCString() }]) {
      t.is((await raw(a, `/object/${bucket}/x.txt`, { headers: condition })).status, 404, JSON.stringify(condition));
      t.is((await raw(a, `/object/public/${bucket}/x.txt`, { key: null, headers: condition })).status, 404, JSON.stringify(condition));
    }
    t.deepEqual((await supabase(a, a.serviceRoleKey).storage.from(bucket).listV2()).data?.objects, []);
    const through = await fetch(`${a.apiUrl}/storage/v1/object/sign/${bucket}/x.txt?token=${signedToken}`);
    t.is(through.status, 400);
  }
});

test("members see their project's storage usage per bucket, always current; others see no project", async (t) => {
  const owner = await signUpOwner(platform);
  const project = await activeProject(platform, owner);
  const [outsider, reader] = [await signUpOwner(platform), await signUpOwner(platform)];
  await platform.owner.query(
    `insert into app_public.organization_memberships (organization_id, user_id, role) values ($1, $2, 'read_only')`,
    [project.org.id, reader.userId],
  );
  const bucket = await newBucket(project);
  const files = supabase(project, project.serviceRoleKey).storage.from(bucket);
  for (const [name, size] of [['a.bin', 1000], ['b.bin', 2345]] as const) {
    const { error } = await files.upload(name, randomBytes(size), { contentType: 'application/octet-stream' });
    if (error) throw error;
  }
  const USAGE = `query ($id: UUID!) { projectStorageUsage(projectId: $id) { objects bytes buckets { bucket objects bytes } } }`;
  const { projectStorageUsage } = await reader.client.data(USAGE, { id: project.id });
  t.deepEqual(projectStorageUsage, { objects: 2, bytes: 3345, buckets: [{ bucket, objects: 2, bytes: 3345 }] });
  await files.remove(['a.bin']);
  t.like((await owner.client.data(USAGE, { id: project.id })).projectStorageUsage, { objects: 1, bytes: 2345 });
  t.is(await outsider.client.errorCode(USAGE, { id: project.id }), 'NOT_FOUND');
});

test('members browse and download through the control API; owners, administrators and developers upload and delete', async (t) => {
  const owner = await signUpOwner(platform);
  const project = await activeProject(platform, owner);
  const reader = await signUpOwner(platform);
  await platform.owner.query(
    `insert into app_public.organization_memberships (organization_id, user_id, role) values ($1, $2, 'read_only')`,
    [project.org.id, reader.userId],
  );
  const bucket = await newBucket(project);
  const URL_FOR = `mutation ($id: UUID!, $bucket: String!, $path: String!, $upload: Boolean) {
    createProjectStorageUrl(projectId: $id, bucket: $bucket, path: $path, upload: $upload)
  }`;
  const LIST = `query ($id: UUID!, $bucket: String!, $prefix: String) {
    projectStorageObjects(projectId: $id, bucket: $bucket, prefix: $prefix) { name size mimeType }
  }`;
  const DELETE = `mutation ($id: UUID!, $bucket: String!, $paths: [String!]!) {
    deleteProjectStorageObjects(projectId: $id, bucket: $bucket, paths: $paths)
  }`;
  const args = { id: project.id, bucket, path: 'docs/report.txt' };

  // Upload through a signed URL the control API gives the owner: the console PUTs the file there.
  const { createProjectStorageUrl: uploadUrl } = await owner.client.data(URL_FOR, { ...args, upload: true });
  const put = await fetch(uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'quarterly' });
  t.is(put.status, 200, await put.text());

  const { projectStorageObjects } = await reader.client.data(LIST, { id: project.id, bucket, prefix: 'docs/' });
  t.deepEqual(projectStorageObjects, [{ name: 'docs/report.txt', size: 9, mimeType: 'text/plain' }]);
  const { createProjectStorageUrl: downloadUrl } = await reader.client.data(URL_FOR, args);
  t.is(await (await fetch(downloadUrl)).text(), 'quarterly');

  t.is(await reader.client.errorCode(URL_FOR, { ...args, upload: true }), 'FORBIDDEN');
  t.is(await reader.client.errorCode(DELETE, { id: project.id, bucket, paths: ['docs/report.txt'] }), 'FORBIDDEN');
  t.is(await owner.client.errorCode(URL_FOR, { ...args, path: '../escape' }), 'INVALID_INPUT');
  const { deleteProjectStorageObjects } = await owner.client.data(DELETE, { id: project.id, bucket, paths: ['docs/report.txt'] });
  t.is(deleteProjectStorageObjects, 1);
  t.deepEqual((await reader.client.data(LIST, { id: project.id, bucket })).projectStorageObjects, []);
  t.is((await fetch(downloadUrl)).status, 404, 'the signed URL no longer finds it');
});

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** GET through Canopy with the service role key: status, headers and the whole body. */
function get(project: ActiveProject, path: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const request = http.request(`${project.apiUrl}/storage/v1${path}`, { method, headers: { apikey: project.serviceRoleKey, ...headers } });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    request.on('error', reject).end();
  });
}

test('downloads: whole or a range, with the row’s headers and none of S3’s; bytes missing from S3 are a 404', async (t) => {
  const project = await sharedProject();
  const bucket = await newBucket(project);
  const files = supabase(project, project.serviceRoleKey).storage.from(bucket);
  t.falsy((await files.upload('r.txt', bytes('0123456789'), { contentType: 'text/plain', cacheControl: '60' })).error);
  const info = (await files.info('r.txt')).data!;

  const whole = await get(project, `/object/${bucket}/r.txt`, { origin: 'https://app.example' });
  t.is(whole.status, 200);
  t.is(whole.body.toString(), '0123456789');
  t.like(whole.headers, {
    'content-type': 'text/plain',
    'content-length': '10',
    'accept-ranges': 'bytes',
    'cache-control': 'max-age=60',
    etag: info.etag,
  });
  t.truthy(whole.headers['last-modified']);
  t.deepEqual(Object.keys(whole.headers).filter((name) => name.startsWith('x-amz')), []);
  t.is(whole.headers['access-control-allow-origin'], 'https://app.example', "the CORS plugin's headers are kept");

  const cases: Array<[string, number, string, string | undefined]> = [
    ['bytes=2-5', 206, '2345', 'bytes 2-5/10'],
    ['bytes=-3', 206, '789', 'bytes 7-9/10'],
    ['bytes=7-', 206, '789', 'bytes 7-9/10'],
    ['bytes=8-100', 206, '89', 'bytes 8-9/10'],
    ['bytes=0-0', 206, '0', 'bytes 0-0/10'],
    ['bytes=0-1,4-5', 200, '0123456789', undefined],
    ['bytes=10-', 416, '', 'bytes */10'],
  ];
  for (const [range, status, body, contentRange] of cases) {
    const answer = await get(project, `/object/${bucket}/r.txt`, { range });
    t.is(answer.status, status, range);
    t.is(answer.body.toString(), body, range);
    t.is(answer.headers['content-range'], contentRange, range);
    if (status !== 416) t.is(answer.headers['content-length'], String(body.length), range);
  }
  const head = await get(project, `/object/${bucket}/r.txt`, {}, 'HEAD');
  t.is(head.status, 200);
  t.is(head.headers['content-length'], '10');

  t.falsy((await files.upload('empty.txt', bytes(''), { contentType: 'text/plain' })).error);
  const empty = await get(project, `/object/${bucket}/empty.txt`);
  t.is(empty.status, 200);
  t.is(empty.body.length, 0);

  // Several objects at once, each its own bytes (downloads share read buffers and connections to S3).
  const blobs = Array.from({ length: 6 }, () => randomBytes(1_500_000 + Math.floor(Math.random() * 500_000)));
  await Promise.all(blobs.map((blob, i) => files.upload(`blob-${i}.bin`, blob)));
  for (let round = 0; round < 2; round++) {
    const answers = await Promise.all(blobs.map((_, i) => get(project, `/object/${bucket}/blob-${i}.bin`)));
    answers.forEach((answer, i) => t.is(sha256(answer.body), sha256(blobs[i]), `blob ${i}, round ${round}`));
  }
  const middle = await get(project, `/object/${bucket}/blob-0.bin`, { range: 'bytes=1000000-1199999' });
  t.is(sha256(middle.body), sha256(blobs[0].subarray(1_000_000, 1_200_000)));

  // A row whose bytes are gone from S3: a 404 in Storage's shape, not a cut or empty body.
  const id = (await asDba(project, `select id::text from "p_${project.ref}_storage".objects where bucket_id = $1 and name = 'r.txt'`, [bucket]))[0].id;
  await createS3Client(platform.services.s3).removeObject(projectBucket(project.ref), `objects/${id}`);
  const gone = await get(project, `/object/${bucket}/r.txt`);
  t.is(gone.status, 404);
  t.like(JSON.parse(gone.body.toString()), { statusCode: '404', error: 'not_found' });
});

/** GET requests Canopy sent to S3 for an object's bytes (seen by the proxy in front of S3). */
function s3GetsOf(project: ActiveProject, id: string) {
  const start = `GET /${projectBucket(project.ref)}/objects/${id}?`;
  return s3Connections.flatMap((connection) => connection.requests).filter((line) => line.startsWith(start)).length;
}

async function objectId(project: ActiveProject, bucket: string, name: string): Promise<string> {
  const rows = await asDba(project, `select id::text from "p_${project.ref}_storage".objects where bucket_id = $1 and name = $2`, [bucket, name]);
  return rows[0].id;
}

test('conditional downloads: a copy still current is answered 304, without its bytes (If-None-Match, If-Modified-Since)', async (t) => {
  const project = await sharedProject();
  const bucket = await newBucket(project, { public: true });
  const files = supabase(project, project.serviceRoleKey).storage.from(bucket);
  t.falsy((await files.upload('logo.svg', bytes('<svg/>'), { contentType: 'image/svg+xml', cacheControl: '600' })).error);
  const first = await get(project, `/object/${bucket}/logo.svg`);
  const { etag, 'last-modified': lastModified } = first.headers as Record<string, string>;
  t.truthy(etag);
  const id = await objectId(project, bucket, 'logo.svg');
  const s3Gets = s3GetsOf(project, id);

  const notModified = async (path: string, headers: Record<string, string>, method = 'GET') => {
    const answer = await get(project, path, headers, method);
    t.is(answer.status, 304, JSON.stringify(headers));
    t.is(answer.body.length, 0);
    t.like(answer.headers, { etag, 'cache-control': 'max-age=600', 'last-modified': lastModified });
    t.is(answer.headers['content-type'], undefined);
  };
  await notModified(`/object/${bucket}/logo.svg`, { 'if-none-match': etag });
  await notModified(`/object/${bucket}/logo.svg`, { 'if-none-match': `"other", W/${etag}` });
  await notModified(`/object/${bucket}/logo.svg`, { 'if-none-match': '*' });
  await notModified(`/object/${bucket}/logo.svg`, { 'if-none-match': etag, range: 'bytes=0-1' });
  await notModified(`/object/${bucket}/logo.svg`, { 'if-modified-since': lastModified });
  // The two obsolete forms of an HTTP-date are read too (asctime's has no zone: GMT).
  await notModified(`/object/${bucket}/logo.svg`, { 'if-modified-since': 'Sunday, 06-Nov-33 08:49:37 GMT' });
  await notModified(`/object/${bucket}/logo.svg`, { 'if-modified-since': 'Sun Nov  6 08:49:37 2095' });
  await notModified(`/object/${bucket}/logo.svg`, { 'if-none-match': etag }, 'HEAD');
  // Browsers revalidate public URLs so, without a key.
  await notModified(`/object/public/${bucket}/logo.svg`, { 'if-none-match': etag, apikey: '' });
  // A conditional GET does not ask S3 for bytes it may not send (nor early, with the service role's key).
  if (s3Proxy) t.is(s3GetsOf(project, id), s3Gets);

  const sent = async (headers: Record<string, string>) => {
    const answer = await get(project, `/object/${bucket}/logo.svg`, headers);
    t.is(answer.status, 200, JSON.stringify(headers));
    t.is(answer.body.toString(), '<svg/>');
  };
  await sent({ 'if-none-match': '"some other version"' });
  // An entity tag may hold commas; a tag must be quoted.
  const opaque = etag.replace(/^W\//, '').replaceAll('"', '');
  await sent({ 'if-none-match': `"x,${opaque},y"` });
  await sent({ 'if-none-match': opaque });
  await sent({ 'if-modified-since': new Date(Date.parse(lastModified) - 1000).toUTCString() });
  // If-None-Match decides when both are sent.
  await sent({ 'if-none-match': '"some other version"', 'if-modified-since': lastModified });
  // What is no HTTP-date is no condition, however far ahead JavaScript would read it.
  const notDates = ['yesterday', '2099', '12/31/2099', '2099-01-01', 'x 2099', 'Thu, 01 Jan 2099 00:00:00', 'Thu, 01 Jan 2099 00:00:00 +0000'];
  // Nor is a day or hour that does not exist, or a weekday RFC 850 does not name; year 49 is year 49.
  notDates.push('Thu, 31 Feb 2099 00:00:00 GMT', 'Thu, 01 Jan 2099 24:00:00 GMT', 'Satxyz, 06-Nov-33 08:49:37 GMT', 'Thu, 01 Jan 0049 00:00:00 GMT');
  for (const notADate of notDates) {
    await sent({ 'if-modified-since': notADate });
  }

  // A new version is a new ETag: the old copy is stale.
  t.falsy((await files.update('logo.svg', bytes('<svg></svg>'), { contentType: 'image/svg+xml' })).error);
  const stale = await get(project, `/object/${bucket}/logo.svg`, { 'if-none-match': etag });
  t.is(stale.status, 200);
  t.is(stale.body.toString(), '<svg></svg>');
  t.not(stale.headers.etag, etag);
});

/** `name` uploaded (ten digits) into a new bucket, and the validators its download carries. */
async function uploadedVersion(t: ExecutionContext, project: ActiveProject, name: string) {
  const bucket = await newBucket(project);
  t.falsy((await supabase(project, project.serviceRoleKey).storage.from(bucket).upload(name, bytes('0123456789'))).error);
  const { etag, 'last-modified': lastModified } = (await get(project, `/object/${bucket}/${name}`)).headers as Record<string, string>;
  return { bucket, etag, lastModified };
}

test('If-Range: a range is sent only from the version whose ETag the client names; otherwise the whole object', async (t) => {
  const project = await sharedProject();
  const { bucket, etag, lastModified } = await uploadedVersion(t, project, 'v.txt');

  const ranged = async (ifRange: string, status: number, body: string) => {
    const answer = await get(project, `/object/${bucket}/v.txt`, { range: 'bytes=2-4', 'if-range': ifRange });
    t.is(answer.status, status, ifRange);
    t.is(answer.body.toString(), body, ifRange);
  };
  await ranged(etag, 206, '234');
  // A date is not taken: Last-Modified is to the second, and an object replaced within it keeps it.
  await ranged(lastModified, 200, '0123456789');
  // A weak tag never matches (the comparison is strong); another tag or date, or no validator at all, is another version.
  await ranged(`W/${etag}`, 200, '0123456789');
  await ranged('"an older version"', 200, '0123456789');
  await ranged(new Date(Date.parse(lastModified) - 1000).toUTCString(), 200, '0123456789');
  await ranged('soon', 200, '0123456789');
});

test('If-Match and If-Unmodified-Since: a download of another version than the one asked for is refused with 412', async (t) => {
  const project = await sharedProject();
  const { bucket, etag, lastModified } = await uploadedVersion(t, project, 'm.txt');
  const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString();

  const answer = async (headers: Record<string, string>, status: number) => {
    const got = await get(project, `/object/${bucket}/m.txt`, headers);
    t.is(got.status, status, JSON.stringify(headers));
    if (status === 200) t.is(got.body.toString(), '0123456789');
    if (status === 412) t.like(JSON.parse(got.body.toString()), { statusCode: '412', error: 'precondition_failed' });
  };
  await answer({ 'if-match': etag }, 200);
  await answer({ 'if-match': `"other", ${etag}` }, 200);
  await answer({ 'if-match': '*' }, 200);
  await answer({ 'if-match': '"other"' }, 412);
  // The comparison is strong: a weak tag never matches.
  await answer({ 'if-match': `W/${etag}` }, 412);
  await answer({ 'if-unmodified-since': lastModified }, 200);
  await answer({ 'if-unmodified-since': earlier }, 412);
  // If-Match decides when both are sent; both come before a 304 or a range.
  await answer({ 'if-match': etag, 'if-unmodified-since': earlier }, 200);
  await answer({ 'if-match': '"other"', 'if-none-match': etag }, 412);
  await answer({ 'if-match': '"other"', range: 'bytes=0-1' }, 412);
});

test('a reused signed S3 URL that S3 refuses (its clock ahead of ours, say) is signed again, once', async (t) => {
  const statuses = [200, 403, 200];
  const server = net.createServer((socket) => {
    socket.on('data', (chunk: Buffer) => {
      if (!chunk.includes('\r\n\r\n')) return;
      socket.write(statuses.shift() === 200 ? 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok' : 'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const reader = new S3ObjectReader();
  t.teardown(() => {
    reader.close();
    server.close();
  });
  const port = (server.address() as net.AddressInfo).port;
  const s3 = createS3Client({ endPoint: '127.0.0.1', port, useSSL: false, accessKey: 'key', secretKey: 'secret', region: 'us-east-1' });
  const context = { s3, s3Bucket: 'canopy-test' };
  for (let i = 0; i < 2; i++) {
    const body = await openBytes(context, reader, 'objects/some-id');
    t.like(body, { status: 200, length: 2 });
    body.destroy();
  }
  t.deepEqual(statuses, [], 'the second download: its reused URL refused, then a new one');
});

test("an object's row holding values that are no valid headers (its DBA can write any) is still served, without them", async (t) => {
  const project = await sharedProject();
  const bucket = await newBucket(project);
  const files = supabase(project, project.serviceRoleKey).storage.from(bucket);
  t.falsy((await files.upload('odd.txt', bytes('still here'), { contentType: 'text/plain' })).error);
  await asDba(
    project,
    `update "p_${project.ref}_storage".objects
        set mime_type = E'text/plain\nx-injected: 1',
            metadata = metadata || jsonb_build_object('cacheControl', E'max-age=1\r\nx-injected: 1', 'eTag', jsonb_build_object('no', 'string'))
      where bucket_id = $1 and name = 'odd.txt'`,
    [bucket],
  );
  for (const method of ['GET', 'HEAD']) {
    const answer = await get(project, `/object/${bucket}/odd.txt`, {}, method);
    t.is(answer.status, 200, method);
    t.is(answer.body.toString(), method === 'GET' ? 'still here' : '', method);
    t.is(answer.headers['content-type'], 'application/octet-stream', method);
    t.is(answer.headers['cache-control'], undefined, method);
    t.is(answer.headers.etag, undefined, method);
    t.is(answer.headers['x-injected'], undefined, method);
  }
});

test('downloads no policy can refuse ask S3 early and send only the bytes their row names; RLS-decided ones never ask early', async (t) => {
  if (!s3Proxy) return t.pass('S3 is on https here: Canopy’s connections to it are not seen');
  const project = await sharedProject();
  const bucket = await newBucket(project);
  const schema = `"p_${project.ref}_storage"`;
  const files = supabase(project, project.serviceRoleKey).storage.from(bucket);
  // Larger than one read of S3's answer: an early read dropped midway holds its connection until it is let go.
  const firstBytes = randomBytes(1_000_000);
  t.falsy((await files.upload('first.txt', firstBytes)).error);
  t.falsy((await files.upload('second.txt', bytes('second'))).error);
  const s3Gets = (id: string) => s3GetsOf(project, id);
  const [first, second] = [await objectId(project, bucket, 'first.txt'), await objectId(project, bucket, 'second.txt')];

  // The service role's download of a name this server wrote: S3 is asked once.
  t.true((await get(project, `/object/${bucket}/first.txt`)).body.equals(firstBytes));
  t.is(s3Gets(first), 1);

  // The name changes hands behind this server's back (SQL): the bytes it asks for early are dropped, and the row's
  // are sent.
  const renameBehindCanopy = async (name: string) => {
    await asDba(project, `delete from ${schema}.objects where bucket_id = $1 and name = 'first.txt'`, [bucket]);
    await asDba(project, `update ${schema}.objects set name = 'first.txt' where bucket_id = $1 and name = $2`, [bucket, name]);
  };
  await renameBehindCanopy('second.txt');
  const seen = new Map(s3Connections.map((connection) => [connection, connection.requests.length]));
  t.is((await get(project, `/object/${bucket}/first.txt`)).body.toString(), 'second');
  await waitFor('the early request for the old bytes', async () => s3Gets(first) === 2);
  t.is(s3Gets(second), 1);
  // The connection that was bringing them is not left holding them: it is closed, or carries the next request, well
  // before S3 would close it as idle (5 s).
  const carrier = s3Connections.find((connection) =>
    connection.requests.slice(seen.get(connection) ?? 0).some((line) => line.includes(`/objects/${first}?`)),
  )!;
  const at = carrier.requests.findLastIndex((line) => line.includes(`/objects/${first}?`));
  t.falsy((await files.upload('fourth.txt', bytes('fourth'))).error);
  for (let i = 0; i < 3; i++) t.is((await get(project, `/object/${bucket}/fourth.txt`)).body.toString(), 'fourth');
  await waitFor('the connection to close or carry on', async () => carrier.closed || carrier.requests.length > at + 1, 2_000);

  // A signed URL's token is checked first: its download asks early too.
  const signed = (await files.createSignedUrl('first.txt', 60)).data!.signedUrl;
  t.falsy((await files.upload('third.txt', bytes('third'))).error);
  await renameBehindCanopy('third.txt');
  t.is(await (await fetch(signed)).text(), 'third');
  await waitFor('the early request for the old bytes', async () => s3Gets(second) === 2);

  // Callers whose right RLS decides never make this server ask S3 for bytes they may not read.
  const third = await objectId(project, bucket, 'first.txt');
  const user = await signedUp(project);
  t.is(((await user.client.storage.from(bucket).download('first.txt')).error as any)?.status, 404);
  t.is(((await supabase(project).storage.from(bucket).download('first.txt')).error as any)?.status, 404);
  t.is(s3Gets(third), 1);

  // A name found missing is forgotten: it is not asked for again.
  await asDba(project, `delete from ${schema}.objects where bucket_id = $1 and name = 'first.txt'`, [bucket]);
  for (let i = 0; i < 3; i++) t.is((await get(project, `/object/${bucket}/first.txt`)).status, 404);
  await waitFor('the one early request for the deleted name', async () => s3Gets(third) === 2);
  t.is(s3Gets(third), 2);

  // An empty object's download asks S3 nothing, early or after its row: by the time a later download's bytes came
  // from S3 (through the proxy), no request for the empty one had.
  t.falsy((await files.upload('empty.txt', new Uint8Array(0))).error);
  const empty = await objectId(project, bucket, 'empty.txt');
  for (let i = 0; i < 2; i++) t.is((await get(project, `/object/${bucket}/empty.txt`)).body.length, 0);
  t.is((await get(project, `/object/${bucket}/fourth.txt`)).body.toString(), 'fourth');
  t.is(s3Gets(empty), 0);
});

test('an object downloaded again is read from S3 with the URL signed for it the first time, whole or a range', async (t) => {
  if (!s3Proxy) return t.pass('S3 is on https here: Canopy’s connections to it are not seen');
  const project = await sharedProject();
  const bucket = await newBucket(project);
  const files = supabase(project, project.serviceRoleKey).storage.from(bucket);
  t.falsy((await files.upload('again.txt', bytes('0123456789'))).error);
  const id = await objectId(project, bucket, 'again.txt');
  const requestsFor = () =>
    s3Connections.flatMap((connection) => connection.requests).filter((line) => line.startsWith('GET ') && line.includes(`/objects/${id}?`));

  t.is((await get(project, `/object/${bucket}/again.txt`)).body.toString(), '0123456789');
  // A URL signed now would differ: its X-Amz-Date is to the second.
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  t.is((await get(project, `/object/${bucket}/again.txt`)).body.toString(), '0123456789');
  t.is((await get(project, `/object/${bucket}/again.txt`, { range: 'bytes=3-5' })).body.toString(), '345');
  // (A request on a kept-alive connection that S3 had just closed is sent again: at least three.)
  const requests = requestsFor();
  t.true(requests.length >= 3);
  t.is(new Set(requests).size, 1, 'one signed URL for all three');
});

test('an aborted download closes the connection to S3 that carried it; the next downloads are whole', async (t) => {
  if (!s3Proxy) return t.pass('S3 is on https here: Canopy’s connections to it are not seen');
  const project = await sharedProject();
  const bucket = await newBucket(project);
  const files = supabase(project, project.serviceRoleKey).storage.from(bucket);
  const data = randomBytes(24_000_000);
  const uploaded = await files.upload('big.bin', data);
  t.falsy(uploaded.error);
  const carrying = () => s3Connections.filter((c) => c.requests.some((line) => line.startsWith(`GET /${projectBucket(project.ref)}/objects/${uploaded.data!.id}`)));

  const received = await new Promise<number>((resolve, reject) => {
    const request = http.get(`${project.apiUrl}/storage/v1/object/${bucket}/big.bin`, { headers: { apikey: project.serviceRoleKey } }, (response) => {
      response.once('data', (chunk: Buffer) => {
        request.destroy();
        resolve(chunk.length);
      });
    });
    request.on('error', reject);
  });
  t.true(received < data.length);
  await waitFor('Canopy to close its connection to S3', async () => carrying().length === 1 && carrying()[0].closed);

  const again = await get(project, `/object/${bucket}/big.bin`);
  t.is(sha256(again.body), sha256(data));
  t.is(carrying().length, 2);
});

/* The reader on its own, against a stand-in for S3. */

interface FakeS3 {
  url: string;
  connections: net.Socket[];
  /** Responses closed before their end, by path. */
  cut: string[];
  close(): void;
}

async function fakeS3(options: { tls?: { key: string; cert: string } } = {}): Promise<FakeS3> {
  const connections: net.Socket[] = [];
  const cut: string[] = [];
  const handler: http.RequestListener = (request, response) => {
    const path = new URL(request.url!, 'http://x').pathname;
    response.on('close', () => {
      if (!response.writableFinished) cut.push(path);
    });
    if (path === '/missing') {
      const xml = '<?xml version="1.0"?><Error><Code>NoSuchKey</Code></Error>';
      response.writeHead(404, { 'content-type': 'application/xml', 'content-length': xml.length }).end(xml);
    } else if (path === '/chunked') {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      response.end('no length given');
    } else if (path === '/cut') {
      // A body that stops short: S3 hangs up after 100 kB of 1 MB.
      response.writeHead(200, { 'content-length': 1_000_000 });
      response.write(Buffer.alloc(100_000, 1), () => setImmediate(() => response.destroy()));
    } else if (path === '/stall') {
      // 10 bytes of 1 MB, then nothing, connection open.
      response.writeHead(200, { 'content-length': 1_000_000 });
      response.write(Buffer.alloc(10, 1));
    } else if (path === '/endless') {
      // 64 MiB, written as fast as it is read.
      response.writeHead(200, { 'content-length': 64 * 1024 * 1024 });
      let left = 1024;
      const chunk = Buffer.alloc(64 * 1024, 7);
      const more = () => {
        while (left > 0) {
          left--;
          if (!response.write(chunk)) return response.once('drain', more);
        }
        response.end();
      };
      more();
    } else {
      const body = Buffer.from('0123456789');
      const range = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? '');
      if (range) {
        const [start, end] = [Number(range[1]), Number(range[2])];
        response.writeHead(206, { 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/10` });
        response.end(body.subarray(start, end + 1));
      } else {
        response.writeHead(200, { 'content-length': 10, 'x-amz-request-id': 'secret-ish' }).end(body);
      }
    }
  };
  const server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
  server.on(options.tls ? 'secureConnection' : 'connection', (socket: net.Socket) => connections.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    connections,
    cut,
    close: () => server.close(),
  };
}

/** A server that sends what the reader opens at `s3Url` + the request's path, as Canopy does. */
async function throughReader(reader: S3ObjectReader, s3Url: string) {
  const server = http.createServer(async (request, response) => {
    try {
      const range = request.headers.range ? { start: 2, end: 5 } : undefined;
      const body = await reader.open(new URL(request.url!, s3Url), range);
      response.writeHead(body.status, { 'content-length': body.length });
      body.pipe(response);
    } catch (error) {
      const status = error instanceof S3ReadError ? error.status : error instanceof UnframedResponse ? 502 : 500;
      response.writeHead(status).end((error as Error).name);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return {
    get: async (path: string, headers: Record<string, string> = {}) => {
      const response = await fetch(base + path, { headers });
      return { status: response.status, headers: response.headers, text: await response.text() };
    },
    base,
    close: () => server.close(),
  };
}

/** A reader over the fake S3, behind a server that sends what it reads (as Canopy does); closed after the test. */
async function readerOverFakeS3(t: ExecutionContext, options?: ObjectReaderOptions) {
  const s3 = await fakeS3();
  const reader = new S3ObjectReader(options);
  const canopy = await throughReader(reader, s3.url);
  t.teardown(() => {
    reader.close();
    canopy.close();
    s3.close();
  });
  return { s3, reader, canopy };
}

test('the S3 object reader gives up on an S3 that never starts answering, and its connection', async (t) => {
  const connections: net.Socket[] = [];
  let closed = 0;
  // Accepts, reads, never answers.
  const silent = net.createServer((socket) => {
    connections.push(socket);
    socket.on('close', () => closed++).resume();
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const reader = new S3ObjectReader({ headMs: 200 });
  t.teardown(() => {
    reader.close();
    for (const socket of connections) socket.destroy();
    silent.close();
  });
  const { port } = silent.address() as net.AddressInfo;
  await t.throwsAsync(reader.open(new URL(`http://127.0.0.1:${port}/bucket/key`)));
  await waitFor('the connection to close', async () => connections.length > 0 && closed === connections.length);
});

test('the S3 object reader: kept-alive connections, ranges, error statuses, answers it does not frame', async (t) => {
  const { s3, reader, canopy } = await readerOverFakeS3(t);

  for (let i = 0; i < 3; i++) t.is((await canopy.get('/object')).text, '0123456789');
  t.is(s3.connections.length, 1, 'one connection, kept alive');
  t.is(reader.idleCount, 1);
  const ranged = await canopy.get('/object', { range: 'bytes=2-5' });
  t.is(ranged.status, 206);
  t.is(ranged.text, '2345');
  t.is((await canopy.get('/missing')).status, 404);
  t.is((await canopy.get('/chunked')).text, 'UnframedResponse');
  t.is((await canopy.get('/object')).headers.get('x-amz-request-id'), null);

  // S3 closes an idle connection: the next download opens another.
  for (const socket of s3.connections) socket.destroy();
  await waitFor('the idle connections to be dropped', async () => reader.idleCount === 0);
  t.is((await canopy.get('/object')).text, '0123456789');

  // S3 closed the connection as the next request went out (it answers one request per connection, then hangs up on
  // the next without a word): the request is tried again on a new connection. A new connection is not.
  const answered: number[] = [];
  const oneShot = net.createServer((socket) => {
    let requests = 0;
    socket.on('data', (chunk: Buffer) => {
      if (!chunk.includes('\r\n\r\n')) return;
      if (requests++ > 0 || chunk.includes('/hang-up')) return void socket.destroy();
      answered.push(1);
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789');
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => oneShot.listen(0, '127.0.0.1', resolve));
  t.teardown(() => oneShot.close());
  const stale = new S3ObjectReader();
  const staleUrl = `http://127.0.0.1:${(oneShot.address() as net.AddressInfo).port}`;
  const viaStale = await throughReader(stale, staleUrl);
  t.teardown(() => {
    stale.close();
    viaStale.close();
  });
  for (let i = 0; i < 3; i++) t.is((await viaStale.get('/object')).text, '0123456789');
  t.is(answered.length, 3, 'each on a new connection, after the kept one failed');
  t.is((await viaStale.get('/hang-up')).status, 500);
});

test("the S3 object reader finds the head's end wherever S3's reads split it", async (t) => {
  // Each answer in two writes, apart in time (so in two reads): the blank line that ends the head is cut at `cut`.
  const answer = 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789';
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      const cut = Number(/GET \/(\d+)/.exec(chunk.toString('latin1'))?.[1]);
      socket.write(answer.slice(0, cut));
      setTimeout(() => socket.write(answer.slice(cut)), 20);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const reader = new S3ObjectReader();
  const canopy = await throughReader(reader, `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  t.teardown(() => {
    reader.close();
    canopy.close();
    server.close();
  });
  const blankLine = answer.indexOf('\r\n\r\n');
  for (const cut of [5, blankLine + 1, blankLine + 2, blankLine + 3, blankLine + 4, blankLine + 7]) {
    t.is((await canopy.get(`/${cut}`)).text, '0123456789', `cut at ${cut}`);
  }
});

test('the S3 object reader cuts a download whose S3 body goes silent, and drops its connection', async (t) => {
  const { s3, canopy } = await readerOverFakeS3(t, { stallMs: 300 });
  await t.throwsAsync(canopy.get('/stall'), undefined, 'the client sees a body cut short');
  await waitFor('the connection to S3 to close', async () => s3.connections.every((socket) => socket.destroyed));
});

test('the S3 object reader waits as long as a slow client does: a pause for the client is no stall', async (t) => {
  const stallMs = 300;
  const { canopy } = await readerOverFakeS3(t, { stallMs });
  const bytes = await new Promise<number>((resolve, reject) => {
    http.get(`${canopy.base}/endless`, (response) => {
      let received = 0;
      let paused = false;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (!paused) {
          // The scenario itself, not a wait for something: silent for twice the stall limit, once the body started.
          paused = true;
          response.pause();
          setTimeout(() => response.resume(), 2 * stallMs);
        }
      });
      response.on('end', () => resolve(received));
      response.on('error', reject);
    }).on('error', reject);
  });
  t.is(bytes, 64 * 1024 * 1024);
});

test('the S3 object reader drops the connection when the client goes away mid-body', async (t) => {
  const { s3, reader, canopy } = await readerOverFakeS3(t);
  await new Promise<void>((resolve, reject) => {
    const request = http.get(`${canopy.base}/endless`, (response) => {
      response.once('data', () => {
        request.destroy();
        resolve();
      });
    });
    request.on('error', reject);
  });
  await waitFor('S3 to see its answer cut', async () => s3.cut.includes('/endless'));
  t.is(reader.idleCount, 0);
  t.is((await canopy.get('/object')).text, '0123456789', 'and the next download is whole');

  // And the other way: S3 hangs up mid-body, and the client's download is cut short, not ended as if whole.
  const cut = await new Promise<{ bytes: number; whole: boolean }>((resolve) => {
    http.get(`${canopy.base}/cut`, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () => resolve({ bytes, whole: true }));
      response.on('error', () => resolve({ bytes, whole: false }));
      response.on('aborted', () => resolve({ bytes, whole: false }));
    });
  });
  t.false(cut.whole);
  t.true(cut.bytes < 1_000_000);
  t.is((await canopy.get('/object')).text, '0123456789');
});

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;
(haveOpenssl ? test : test.skip)('the S3 object reader speaks TLS to an https endpoint', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-tls-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const made = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
  ]);
  t.is(made.status, 0, made.stderr?.toString());
  const key = fs.readFileSync(path.join(dir, 'key.pem'), 'utf8');
  const cert = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
  const s3 = await fakeS3({ tls: { key, cert } });
  const reader = new S3ObjectReader({ tls: { ca: cert } });
  const untrusting = new S3ObjectReader();
  const canopy = await throughReader(reader, s3.url);
  const refused = await throughReader(untrusting, s3.url);
  t.teardown(() => {
    for (const x of [reader, untrusting, canopy, refused, s3]) x.close();
  });
  t.is((await canopy.get('/object')).text, '0123456789');
  t.is((await canopy.get('/object', { range: 'bytes=2-5' })).text, '2345');
  t.is(s3.connections.length, 1);
  t.is((await refused.get('/object')).status, 500, 'a certificate nobody vouches for is refused');
});

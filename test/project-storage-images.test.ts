/**
 * Image transformations of a project's storage, as app developers ask for them through supabase-js (`transform` on
 * download, getPublicUrl and createSignedUrl): sizes and resize modes, formats, who may transform what (RLS, public
 * buckets, signed URLs, other projects), bad input, and how transformations are shared between projects.
 */
import sharp from 'sharp';
import test from 'ava';
import { FairSlots, SlotsFull } from '../server/src/fair-slots.ts';
import { RecentMap } from '../server/src/recent-map.ts';
import { createS3Client, projectBucket } from '../server/src/storage/s3.ts';
import { signUp as signUpOwner } from './support/client.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';
import { type ActiveProject, activeProject } from './support/projects.ts';
import { asDba, bytes, newBucket, raw, signedUp, supabase } from './support/storage.ts';

let platform: TestPlatform;
test.before(async () => {
  platform = await startTestPlatform();
});
test.after.always(async () => {
  await platform?.stop();
});

let shared: Promise<ActiveProject> | undefined;
const sharedProject = () => (shared ??= signUpOwner(platform).then((owner) => activeProject(platform, owner)));

/** A 400 × 200 picture: red left half, blue right half. */
const picture = (format: 'png' | 'jpeg' = 'png') =>
  sharp({ create: { width: 400, height: 200, channels: 3, background: 'blue' } })
    .composite([{ input: { create: { width: 200, height: 200, channels: 3, background: 'red' } }, left: 0, top: 0 }])
    .toFormat(format)
    .toBuffer();

async function imageOf(data: Blob | Response | Buffer | null | undefined) {
  if (!data) throw new Error('No image came back');
  const buffer = Buffer.isBuffer(data) ? data : Buffer.from(await data.arrayBuffer());
  const { format, width, height } = await sharp(buffer).metadata();
  return { format, width, height };
}

/** A bucket holding the picture as `pic.png` (and as `pic.jpg`), uploaded with the service role key. */
async function bucketWithPicture(project: ActiveProject, options = { public: false }) {
  const bucket = await newBucket(project, options);
  const files = supabase(project, project.serviceRoleKey).storage.from(bucket);
  for (const [name, format] of [
    ['pic.png', 'png'],
    ['pic.jpg', 'jpeg'],
  ] as const) {
    const { error } = await files.upload(name, await picture(format), { contentType: `image/${format}`, cacheControl: '60' });
    if (error) throw error;
  }
  return { bucket, files };
}

test('transformations: width and height, resized by cover, contain or fill; the format asked for, or WebP for clients that take it', async (t) => {
  const project = await sharedProject();
  const { bucket, files } = await bucketWithPicture(project);

  // Node's fetch (supabase-js's) accepts */*: the original format, resized.
  t.like(await imageOf((await files.download('pic.png', { transform: { width: 100, height: 100 } })).data), {
    format: 'png',
    width: 100,
    height: 100,
  });
  t.like(await imageOf((await files.download('pic.png', { transform: { width: 100, height: 100, resize: 'contain' } })).data), {
    width: 100,
    height: 50,
  });
  t.like(await imageOf((await files.download('pic.png', { transform: { width: 100, height: 100, resize: 'fill' } })).data), {
    width: 100,
    height: 100,
  });
  t.like(await imageOf((await files.download('pic.png', { transform: { width: 100 } })).data), { width: 100, height: 50 });
  t.like(await imageOf((await files.download('pic.png', { transform: { height: 50 } })).data), { width: 100, height: 50 });
  // cover crops the middle: the left half is red, the right blue.
  const covered = await (await files.download('pic.png', { transform: { width: 100, height: 100 } })).data!.arrayBuffer();
  const { data: pixels } = await sharp(Buffer.from(covered)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  t.deepEqual([...pixels.subarray(0, 3)], [255, 0, 0]);
  t.deepEqual([...pixels.subarray(pixels.length - 3)], [0, 0, 255]);

  // A browser's Accept: WebP, unless the original format (or AVIF) is asked for.
  const accept = { accept: 'image/avif,image/webp,*/*' };
  const webp = await raw(project, `/render/image/authenticated/${bucket}/pic.jpg?width=80`, { headers: accept });
  t.is(webp.headers.get('content-type'), 'image/webp');
  t.like(await imageOf(webp.buffer), { format: 'webp', width: 80, height: 40 });
  t.regex(webp.headers.get('vary')!, /\bAccept\b/);
  t.is(webp.headers.get('cache-control'), 'max-age=60');
  t.is(webp.headers.get('x-content-type-options'), 'nosniff');
  t.truthy(webp.headers.get('last-modified'));
  const origin = await raw(project, `/render/image/authenticated/${bucket}/pic.jpg?width=80&format=origin`, { headers: accept });
  t.like({ type: origin.headers.get('content-type'), ...(await imageOf(origin.buffer)) }, { type: 'image/jpeg', format: 'jpeg' });
  const avif = await raw(project, `/render/image/authenticated/${bucket}/pic.jpg?width=80&format=avif`);
  t.like(
    { type: avif.headers.get('content-type'), ...(await imageOf(avif.buffer)) },
    { type: 'image/avif', format: 'heif', width: 80 },
  );

  // Quality: lower is smaller. A download name, as for objects.
  const [low, high] = await Promise.all(
    [20, 100].map((quality) =>
      raw(project, `/render/image/authenticated/${bucket}/pic.jpg?width=300&quality=${quality}&format=origin`),
    ),
  );
  t.true(low.buffer.length < high.buffer.length);
  // A PNG stays full colour whatever the quality: it is no lossy format.
  const png = await raw(project, `/render/image/authenticated/${bucket}/pic.png?width=300&quality=20`);
  t.false((await sharp(png.buffer).metadata()).isPalette);
  const named = await raw(project, `/render/image/authenticated/${bucket}/pic.jpg?width=10&download=small.jpg`);
  t.is(named.headers.get('content-disposition'), "attachment; filename*=UTF-8''small.jpg");
  // Without a name, the object's, with the extension of what is sent.
  const asWebp = await raw(project, `/render/image/authenticated/${bucket}/pic.png?width=10&download`, { headers: accept });
  t.is(asWebp.headers.get('content-disposition'), "attachment; filename*=UTF-8''pic.webp");
  // An Accept that refuses WebP (q=0) gets the original format.
  const refused = await raw(project, `/render/image/authenticated/${bucket}/pic.jpg?width=10`, {
    headers: { accept: 'image/webp;q=0, */*' },
  });
  t.is(refused.headers.get('content-type'), 'image/jpeg');

  // Varied by Accept beside what CORS varies by; a copy made since the object last changed is still current.
  const fromSite = await raw(project, `/render/image/authenticated/${bucket}/pic.jpg?width=10`, {
    headers: { origin: 'https://app.example' },
  });
  t.deepEqual(fromSite.headers.get('vary')!.toLowerCase().split(/,\s*/).sort(), ['accept', 'origin']);
  const since = { 'if-modified-since': fromSite.headers.get('last-modified')! };
  const current = await raw(project, `/render/image/authenticated/${bucket}/pic.jpg?width=10`, { headers: since });
  t.is(current.status, 304);
  t.is(current.buffer.length, 0);
  // Its ETag tells versions apart where Last-Modified (to the second) cannot: the object replaced, the old copy is not
  // current, even with the same date.
  const etag = fromSite.headers.get('etag')!;
  t.regex(etag, /^W\/"/);
  const again = { ...since, 'if-none-match': etag };
  t.is((await raw(project, `/render/image/authenticated/${bucket}/pic.jpg?width=10`, { headers: again })).status, 304);
  await files.upload('pic.jpg', await picture('jpeg'), { contentType: 'image/jpeg', upsert: true });
  const replaced = await raw(project, `/render/image/authenticated/${bucket}/pic.jpg?width=10`, { headers: again });
  t.is(replaced.status, 200);
  t.not(replaced.headers.get('etag'), etag);
});

test('no output is larger than 2,500 × 2,500 whatever is asked, nor than its source: a side not given follows within it', async (t) => {
  const project = await sharedProject();
  const { bucket, files } = await bucketWithPicture(project);
  const stripe = (width: number, height: number) =>
    sharp({ create: { width, height, channels: 3, background: 'white' } })
      .png()
      .toBuffer();
  await files.upload('tall.png', await stripe(1, 3000), { contentType: 'image/png' });
  await files.upload('wide.png', await stripe(3000, 100), { contentType: 'image/png' });
  const size = async (path: string) => imageOf((await raw(project, `/render/image/authenticated/${bucket}/${path}`)).buffer);
  t.like(await size('tall.png?width=2500&format=origin'), { height: 2500 });
  t.like(await size('tall.png?format=origin'), { width: 1, height: 2500 });
  t.like(await size('wide.png?height=2500&format=origin'), { width: 2500 });
  t.like(await size('wide.png?format=avif'), { width: 2500, height: 83 });
  // Nor is an image enlarged: a smaller one keeps its size.
  t.like(await size('pic.png?format=origin'), { width: 400, height: 200 });
  t.like(await size('pic.png?width=800&format=origin'), { width: 400, height: 200 });
  t.like(await size('pic.png?width=800&height=800&resize=fill&format=origin'), { width: 400, height: 200 });
});

test('public URLs and signed URLs of transformations; a signed transformation is fixed by its token and never opens the original', async (t) => {
  const project = await sharedProject();
  const open = await bucketWithPicture(project, { public: true });
  const closed = await bucketWithPicture(project);
  const anon = supabase(project).storage;

  const publicUrl = anon.from(open.bucket).getPublicUrl('pic.png', { transform: { width: 50 } }).data.publicUrl;
  t.regex(publicUrl, /\/render\/image\/public\//);
  const fromPublic = await fetch(publicUrl);
  t.is(fromPublic.status, 200);
  t.like(await imageOf(fromPublic), { width: 50, height: 25 });
  t.is((await fetch(anon.from(closed.bucket).getPublicUrl('pic.png', { transform: { width: 50 } }).data.publicUrl)).status, 400);

  const { data, error } = await closed.files.createSignedUrl('pic.png', 60, { transform: { width: 40, height: 40 } });
  t.falsy(error);
  const signed = new URL(data!.signedUrl);
  t.regex(signed.pathname, /\/render\/image\/sign\//);
  t.like(await imageOf(await fetch(signed)), { width: 40, height: 40 });
  // The query cannot change what the token names.
  const widened = new URL(signed);
  widened.searchParams.set('width', '300');
  t.like(await imageOf(await fetch(widened)), { width: 40, height: 40 });
  // Nor is the token a way to the original, nor a plain signed URL's token a way to transformations.
  const original = new URL(signed);
  original.pathname = original.pathname.replace('/render/image/sign/', '/object/sign/');
  t.is((await fetch(original)).status, 400);
  const plain = new URL((await closed.files.createSignedUrl('pic.png', 60)).data!.signedUrl);
  plain.pathname = plain.pathname.replace('/object/sign/', '/render/image/sign/');
  t.is((await fetch(plain)).status, 400);
  // A transformation out of range is refused when the URL is made; an empty one makes a plain signed URL.
  t.is(((await closed.files.createSignedUrl('pic.png', 60, { transform: { width: 9000 } })).error as any)?.status, 400);
  for (const transform of [{}, null]) {
    const made = await raw(project, `/object/sign/${closed.bucket}/pic.png`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ expiresIn: 60, transform }),
    });
    t.regex(made.body.signedURL, /^\/object\/sign\//, JSON.stringify(transform));
  }
});

test('RLS decides transformations as it does downloads; other projects’ keys, users and tokens get nothing', async (t) => {
  const project = await sharedProject();
  const { bucket, files } = await bucketWithPicture(project);
  await files.copy('pic.png', 'shared/pic.png');
  await asDba(
    project,
    `create policy shared_read on "p_${project.ref}_storage".objects for select
    using (bucket_id = '${bucket}' and name like 'shared/%' and canopy.role() = 'authenticated')`,
  );
  const user = (await signedUp(project)).client.storage.from(bucket);
  t.like(await imageOf((await user.download('shared/pic.png', { transform: { width: 20 } })).data), { width: 20 });
  t.is(((await user.download('pic.png', { transform: { width: 20 } })).error as any)?.status, 404);
  t.is(
    (
      (
        await supabase(project)
          .storage.from(bucket)
          .download('shared/pic.png', { transform: { width: 20 } })
      ).error as any
    )?.status,
    404,
  );

  const other = await activeProject(platform, await signUpOwner(platform));
  const theirs = await bucketWithPicture(other, { public: true });
  const { data } = await theirs.files.createSignedUrl('pic.png', 60, { transform: { width: 10 } });
  const token = new URL(data!.signedUrl).searchParams.get('token');
  // Their API refuses our key; ours does not know their bucket, nor their token.
  t.is(
    (await raw(other, `/render/image/authenticated/${theirs.bucket}/pic.png?width=10`, { key: project.serviceRoleKey })).status,
    401,
  );
  t.is((await raw(project, `/render/image/authenticated/${theirs.bucket}/pic.png?width=10`)).status, 404);
  t.is((await raw(project, `/render/image/public/${theirs.bucket}/pic.png?width=10`, { key: null })).status, 404);
  t.is((await raw(project, `/render/image/sign/${theirs.bucket}/pic.png?token=${token}`, { key: null })).status, 400);
});

test('bad input: sizes, modes, formats and qualities out of range are 400; what is no image, or too large an image, is 422', async (t) => {
  const project = await sharedProject();
  const { bucket, files } = await bucketWithPicture(project);
  for (const query of [
    'width=0',
    'width=2501',
    'width=abc',
    'height=-1',
    'width=1e3',
    'resize=stretch',
    'quality=10',
    'quality=101',
    'format=gif',
  ]) {
    t.like(
      await raw(project, `/render/image/authenticated/${bucket}/pic.png?${query}`),
      { status: 400, body: { error: 'invalid_input' } },
      query,
    );
  }
  t.like(await raw(project, `/render/image/authenticated/${bucket}/missing.png?width=10`), {
    status: 404,
    body: { error: 'not_found' },
  });

  await files.upload('notes.txt', bytes('not a picture'), { contentType: 'image/png' });
  await files.upload('drawing.svg', bytes('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'), {
    contentType: 'image/svg+xml',
  });
  for (const name of ['notes.txt', 'drawing.svg']) {
    t.like(
      await raw(project, `/render/image/authenticated/${bucket}/${name}?width=10`),
      { status: 422, body: { error: 'invalid_image' } },
      name,
    );
  }
  // Over 50 megapixels (a small file: one colour), and over 25 MB.
  const huge = await sharp({ create: { width: 8000, height: 8000, channels: 3, background: 'white' } })
    .png()
    .toBuffer();
  await files.upload('huge.png', huge, { contentType: 'image/png' });
  await files.upload('heavy.png', Buffer.concat([await picture(), Buffer.alloc(26 * 1024 * 1024)]), { contentType: 'image/png' });
  for (const name of ['huge.png', 'heavy.png']) {
    t.like(
      await raw(project, `/render/image/authenticated/${bucket}/${name}?width=10`),
      { status: 422, body: { error: 'image_too_large' } },
      name,
    );
  }
  // The original is still there for a plain download.
  t.is((await raw(project, `/object/${bucket}/huge.png`)).buffer.length, huge.length);
  // An empty object is no image either.
  await files.upload('empty.png', new Uint8Array(0), { contentType: 'image/png' });
  t.like(await raw(project, `/render/image/authenticated/${bucket}/empty.png?width=10`), {
    status: 422,
    body: { error: 'invalid_image' },
  });
});

/**
 * 30 transformations at once by `burst(i)` (each AVIF at ~800 px: they queue), then, once one of them is refused (as
 * many as may wait are waiting), one by `one`: its statuses, and how many of the burst were served before it.
 */
async function burstThenOne(burst: (i: number) => Promise<{ status: number }>, one: () => Promise<{ status: number }>) {
  const finished: string[] = [];
  let refused: () => void;
  const firstRefusal = new Promise<void>((resolve) => (refused = resolve));
  const requests = Array.from({ length: 30 }, (_, i) =>
    burst(i).then(({ status }) => {
      finished.push(`burst ${status}`);
      if (status === 429) refused();
      return status;
    }),
  );
  await Promise.race([firstRefusal, Promise.all(requests)]);
  const last = await one();
  finished.push('one');
  const statuses = await Promise.all(requests);
  return {
    statuses,
    oneStatus: last.status,
    servedBefore: finished.slice(0, finished.indexOf('one')).filter((entry) => entry === 'burst 200').length,
    served: statuses.filter((status) => status === 200).length,
  };
}

test('one project’s burst of transformations waits behind itself, not in front of another project’s, and past a few waiting is told to slow down', async (t) => {
  // Projects of their own: the burst must not queue the other tests' transformations.
  const [busy, quiet] = await Promise.all(
    [signUpOwner(platform), signUpOwner(platform)].map(async (owner) => activeProject(platform, await owner)),
  );
  const [busyPicture, quietPicture] = [await bucketWithPicture(busy), await bucketWithPicture(quiet)];
  const outcome = await burstThenOne(
    (i) => raw(busy, `/render/image/authenticated/${busyPicture.bucket}/pic.png?width=${800 - i}&format=avif`),
    () => raw(quiet, `/render/image/authenticated/${quietPicture.bucket}/pic.png?width=10`),
  );
  t.is(outcome.oneStatus, 200);
  t.true(outcome.statuses.includes(429), 'some of the burst is told to slow down');
  t.true(outcome.statuses.every((status) => status === 200 || status === 429));
  // Its turn came after at most one more of the busy project's for each slot, not after all that were waiting.
  t.true(outcome.servedBefore < outcome.served - 2, `${outcome.servedBefore} of ${outcome.served} served before the quiet one`);
});

test('strangers’ plain links to a public image cannot crowd out the project’s own callers', async (t) => {
  const project = await activeProject(platform, await signUpOwner(platform));
  const { bucket } = await bucketWithPicture(project, { public: true });
  const outcome = await burstThenOne(
    (i) => raw(project, `/render/image/public/${bucket}/pic.png?width=${800 - i}&format=avif`, { key: null }),
    () => raw(project, `/render/image/authenticated/${bucket}/pic.png?width=10`),
  );
  t.is(outcome.oneStatus, 200);
  t.true(outcome.statuses.includes(429), 'some of the strangers are told to slow down');
  t.true(
    outcome.servedBefore < outcome.served - 2,
    `${outcome.servedBefore} of ${outcome.served} served before the project's own`,
  );
});

test('members preview an image through the control API: a signed transformation within the width and height asked', async (t) => {
  const owner = await signUpOwner(platform);
  const project = await activeProject(platform, owner);
  const { bucket } = await bucketWithPicture(project);
  const PREVIEW = `mutation ($id: UUID!, $bucket: String!, $path: String!, $width: Int, $height: Int, $upload: Boolean) {
    createProjectStorageUrl(projectId: $id, bucket: $bucket, path: $path, width: $width, height: $height, upload: $upload)
  }`;
  const args = { id: project.id, bucket, path: 'pic.png' };
  const { createProjectStorageUrl: url } = await owner.client.data(PREVIEW, { ...args, width: 100, height: 100 });
  t.regex(new URL(url).pathname, /\/render\/image\/sign\//);
  t.like(await imageOf(await fetch(url)), { width: 100, height: 50 });
  const { createProjectStorageUrl: byHeight } = await owner.client.data(PREVIEW, { ...args, width: null, height: 20 });
  t.like(await imageOf(await fetch(byHeight)), { width: 40, height: 20 });
  t.is(await owner.client.errorCode(PREVIEW, { ...args, width: 5000 }), 'INVALID_INPUT');
  t.is(await owner.client.errorCode(PREVIEW, { ...args, width: 100, upload: true }), 'INVALID_INPUT');
});

test('a transformation made lately is sent again without reading its source; another one needs it', async (t) => {
  const project = await sharedProject();
  const { bucket } = await bucketWithPicture(project);
  const first = await raw(project, `/render/image/authenticated/${bucket}/pic.png?width=30`);
  t.is(first.status, 200);
  // The bytes go behind Canopy's back: what was made of them is still sent, to whoever may read the row.
  const [{ id }] = await asDba(
    project,
    `select id from "p_${project.ref}_storage".objects where bucket_id = $1 and name = 'pic.png'`,
    [bucket],
  );
  await createS3Client(platform.services.s3).removeObject(projectBucket(project.ref), `objects/${id}`);
  const again = await raw(project, `/render/image/authenticated/${bucket}/pic.png?width=30`);
  t.is(again.status, 200);
  t.true(again.buffer.equals(first.buffer));
  t.is((await raw(project, `/render/image/authenticated/${bucket}/pic.png?width=31`)).status, 404);
  t.is((await raw(project, `/render/image/authenticated/${bucket}/pic.png?width=30`, { key: project.anonKey })).status, 404);

  // An id names bytes in its own project only: another project's DBA who writes it into a row of theirs gets none of
  // what was made of them, not even through a public bucket.
  const thief = await activeProject(platform, await signUpOwner(platform));
  const open = await newBucket(thief, { public: true });
  await asDba(
    thief,
    `insert into "p_${thief.ref}_storage".objects (id, bucket_id, name, size, mime_type) values ($1, $2, 'x.png', 100, 'image/png')`,
    [id, open],
  );
  t.is((await raw(thief, `/render/image/public/${open}/x.png?width=30`, { key: null })).status, 404);
  t.is((await raw(thief, `/render/image/authenticated/${open}/x.png?width=30`)).status, 404);
});

test('a recent map keeps its newest entries within their weight', (t) => {
  const map = new RecentMap<string, string>(10, (value) => value.length);
  map.set('a', 'xxxx').set('b', 'xxxx');
  map.set('a', 'xxxx'); // a is the newest again
  map.set('c', 'xxxx');
  t.deepEqual([...map.keys()], ['a', 'c']);
  map.delete('a');
  map.set('d', 'xxxxxx');
  t.deepEqual([...map.keys()], ['c', 'd']);
  map.set('e', 'x'.repeat(11));
  t.deepEqual([...map.keys()], ['c', 'd'], 'an entry heavier than the bound is not kept, and pushes nothing out');
});

test('fair slots: at most so many run at once; waiting owners take turns; an owner with too many waiting is refused', async (t) => {
  const slots = new FairSlots(1, 2);
  const started: string[] = [];
  const gates = new Map<string, () => void>();
  const task = (name: string) => () => {
    started.push(name);
    return new Promise<void>((resolve) => gates.set(name, resolve));
  };
  const runs = [slots.run('a', task('a1')), slots.run('a', task('a2')), slots.run('a', task('a3')), slots.run('b', task('b1'))];
  await t.throwsAsync(slots.run('a', task('a4')), { instanceOf: SlotsFull });
  t.is(slots.waitingCount, 3);
  const finish = async (name: string) => {
    gates.get(name)!();
    await new Promise((resolve) => setImmediate(resolve));
  };
  await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(started, ['a1']);
  await finish('a1');
  await finish('a2');
  await finish('b1');
  await finish('a3');
  await Promise.all(runs);
  t.deepEqual(started, ['a1', 'a2', 'b1', 'a3']);
  t.is(slots.waitingCount, 0);
});

/**
 * Live tables' fan-out (server/src/projects/live.ts): subscribers who may see a change share one question and, when
 * their payloads cannot differ, one execution — and still each hears only of the rows its own RLS lets it see, gets
 * what depends on who it is, and stops hearing anything once its token expires or its project stops serving.
 */
import { randomUUID } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { type Client, createClient } from 'graphql-ws';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { withClient } from '../worker/src/tenants/projects.ts';
import { type SignedInUser, signUp } from './support/client.ts';
import { waitFor } from './support/org-fixtures.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';
import { type ActiveProject, activeProject } from './support/projects.ts';

let platform: TestPlatform;
test.before(async () => {
  platform = await startTestPlatform();
});
test.after.always(() => platform?.stop());

/**
 * A live todo list: end users read their own rows, and whoever is `everyone` reads all; `mine` (a computed column)
 * tells each reader whether the row is theirs, so it differs between subscribers who see the same row.
 */
async function liveTodos(owner?: SignedInUser): Promise<ActiveProject> {
  const project = await activeProject(platform, owner ?? (await signUp(platform)));
  const schema = `p_${project.ref}`;
  await withClient(project.databaseUrl, (client) =>
    client.query(`
      create table ${schema}.todos (id serial primary key, owner_id uuid not null, title text not null);
      alter table ${schema}.todos enable row level security;
      create policy own_todos on ${schema}.todos for select using (owner_id = canopy.uid() or canopy.jwt() ->> 'everyone' = 'yes');
      create function ${schema}.todos_mine(todo ${schema}.todos) returns boolean as $$
        select todo.owner_id = canopy.uid()
      $$ language sql stable;
      select canopy.enable_live('${schema}.todos');
    `),
  );
  // The instance is rebuilt with the subscription field once the schema change is heard.
  await waitFor('the subscription field', async () => {
    const response = await fetch(`${project.apiUrl}/graphql/v1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', apikey: project.anonKey },
      body: JSON.stringify({ query: '{ __type(name: "TodoChange") { name } }' }),
    });
    return ((await response.json()) as { data?: { __type: unknown } }).data?.__type;
  });
  return project;
}

function userToken(project: ActiveProject, sub: string, claims: Record<string, unknown> = {}, expiresAt?: number) {
  return new SignJWT({ role: 'authenticated', ref: project.ref, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setAudience('authenticated')
    .setIssuedAt()
    .setExpirationTime(expiresAt ?? '1h')
    .sign(new TextEncoder().encode(project.jwtSecret));
}

interface Todo {
  id: number;
  title: string;
  ownerId?: string;
  mine?: boolean;
}
interface Change {
  op: string;
  todo: Todo | null;
}

/** One graphql-ws subscription: what it heard, and how it ended. */
interface Subscriber {
  changes: Change[];
  errors: Array<{ message: string; extensions?: { code?: string } }>;
  completed: boolean;
}

const PLAIN = 'subscription { todoChanged { op todo { id title ownerId } } }';
const WITH_MINE = 'subscription { todoChanged { op todo { id title mine } } }';

function subscribe(t: { teardown(fn: () => unknown): void }, project: ActiveProject, token: string | null, query = PLAIN) {
  const client: Client = createClient({
    url: `${project.apiUrl.replace(/^http/, 'ws')}/graphql/v1?apikey=${project.anonKey}`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  });
  const subscriber: Subscriber = { changes: [], errors: [], completed: false };
  client.subscribe<{ todoChanged: Change }>(
    { query },
    {
      next: ({ data, errors }) => {
        if (errors) subscriber.errors.push(...(errors as Subscriber['errors']));
        else subscriber.changes.push(data!.todoChanged);
      },
      error: (error) => void subscriber.errors.push(...(Array.isArray(error) ? error : [{ message: String(error) }])),
      complete: () => void (subscriber.completed = true),
    },
  );
  t.teardown(() => client.dispose());
  return subscriber;
}

async function insert(project: ActiveProject, ownerId: string, title: string): Promise<number> {
  const { rows } = await withClient(project.databaseUrl, (client) =>
    client.query(`insert into p_${project.ref}.todos (owner_id, title) values ($1, $2) returning id`, [ownerId, title]),
  );
  return rows[0].id;
}

/**
 * Subscriptions start listening asynchronously: inserts rows of `ownerId` until each of `subscribers` heard one, then
 * forgets what they heard.
 */
async function untilListening(project: ActiveProject, ownerId: string, subscribers: Subscriber[]) {
  let probes = 0;
  await waitFor(
    'every subscriber to listen',
    async () => {
      await insert(project, ownerId, `probe ${++probes}`);
      return waitFor('their events', async () => subscribers.every((s) => s.changes.length > 0), 500).catch(() => false);
    },
    20_000,
  );
  // Every probe heard by everyone who may see it, before the test's own changes.
  await waitFor('the last probe', async () => subscribers.every((s) => s.changes.some((c) => c.todo?.title === `probe ${probes}`)));
  for (const subscriber of subscribers) subscriber.changes.length = 0;
}

const titles = (subscriber: Subscriber) => subscriber.changes.map((change) => change.todo?.title ?? `${change.op} (no row)`);

test('subscribers who are different users share one payload, and each still hears only of its own rows', async (t) => {
  const project = await liveTodos();
  const [ada, bob] = [randomUUID(), randomUUID()];
  // Both subscribe with the same query, so they share an execution; and a reader of everything, with other claims.
  const adas = subscribe(t, project, await userToken(project, ada));
  const bobs = subscribe(t, project, await userToken(project, bob));
  const all = subscribe(t, project, await userToken(project, randomUUID(), { everyone: 'yes' }));
  const anonymous = subscribe(t, project, null);
  await untilListening(project, ada, [adas, all]);
  await untilListening(project, bob, [bobs, all]);
  adas.changes.length = 0;

  // A change is read when it is told (after its commit): each is awaited before the row changes again.
  await insert(project, bob, 'bob secret');
  const adaRow = await insert(project, ada, 'ada 1');
  await insert(project, bob, 'bob 2');
  await waitFor('the inserts', async () => all.changes.length === 3 && adas.changes.length === 1 && bobs.changes.length === 2);
  await withClient(project.databaseUrl, (client) =>
    client.query(`update p_${project.ref}.todos set title = 'ada 1 renamed' where id = $1`, [adaRow]),
  );
  await waitFor('the update', async () => all.changes.length === 4 && adas.changes.length === 2);
  await withClient(project.databaseUrl, (client) => client.query(`delete from p_${project.ref}.todos where id = $1`, [adaRow]));
  await waitFor('the deletion', async () => all.changes.length === 5 && adas.changes.length === 3 && bobs.changes.length === 3);

  // A deletion reaches every subscriber, with the key only (its row cannot be read any more).
  t.deepEqual(titles(adas), ['ada 1', 'ada 1 renamed', 'DELETE (no row)']);
  t.deepEqual(titles(bobs), ['bob secret', 'bob 2', 'DELETE (no row)']);
  t.deepEqual(titles(all), ['bob secret', 'ada 1', 'bob 2', 'ada 1 renamed', 'DELETE (no row)']);
  t.deepEqual(
    adas.changes.map((change) => change.todo?.ownerId),
    [ada, ada, undefined],
    'the row as it was in the change, with its columns',
  );
  t.true(anonymous.changes.every((change) => change.op === 'DELETE'), 'the anon key sees no row of anyone');
  t.deepEqual([adas.errors, bobs.errors, all.errors, anonymous.errors], [[], [], [], []]);
});

test('what depends on who asks (a computed column reading canopy.uid()) is each subscriber\'s own', async (t) => {
  const project = await liveTodos();
  const [ada, bob] = [randomUUID(), randomUUID()];
  const adas = subscribe(t, project, await userToken(project, ada, { everyone: 'yes' }), WITH_MINE);
  const bobs = subscribe(t, project, await userToken(project, bob, { everyone: 'yes' }), WITH_MINE);
  await untilListening(project, ada, [adas, bobs]);

  await insert(project, ada, "ada's");
  await insert(project, bob, "bob's");
  await waitFor('both changes', async () => adas.changes.length === 2 && bobs.changes.length === 2);
  t.deepEqual(
    adas.changes.map((change) => [change.todo?.title, change.todo?.mine]),
    [["ada's", true], ["bob's", false]],
  );
  t.deepEqual(
    bobs.changes.map((change) => [change.todo?.title, change.todo?.mine]),
    [["ada's", false], ["bob's", true]],
  );
});

test('many subscribers with the same claims all hear every change, once each', async (t) => {
  const project = await liveTodos();
  const ada = randomUUID();
  const token = await userToken(project, ada);
  const subscribers = Array.from({ length: 25 }, () => subscribe(t, project, token));
  // The same claims on the anon key: another group, which may not see Ada's rows.
  const strangers = Array.from({ length: 5 }, () => subscribe(t, project, null));
  await untilListening(project, ada, subscribers);

  for (let i = 0; i < 5; i++) await insert(project, ada, `ada ${i}`);
  await waitFor('every change for everyone', async () => subscribers.every((s) => s.changes.length >= 5));
  for (const subscriber of subscribers) t.deepEqual(titles(subscriber), ['ada 0', 'ada 1', 'ada 2', 'ada 3', 'ada 4']);
  t.true(strangers.every((stranger) => stranger.changes.length === 0 && stranger.errors.length === 0));
});

test('a subscriber whose policy fails for its claims hears nothing, and the others are not disturbed', async (t) => {
  const project = await liveTodos();
  const ada = randomUUID();
  const adas = subscribe(t, project, await userToken(project, ada));
  // canopy.uid() casts `sub` to a uuid: for this token the policy raises an error instead of answering.
  const odd = subscribe(t, project, await userToken(project, 'not-a-uuid'));
  await untilListening(project, ada, [adas]);
  await insert(project, ada, 'ada 1');
  await waitFor('her change', async () => adas.changes.length === 1);
  t.deepEqual(titles(adas), ['ada 1']);
  t.deepEqual([odd.changes, odd.errors], [[], []]);
});

test('a subscriber stops hearing, with JWT_EXPIRED, when its token expires; others of its payload go on', async (t) => {
  const project = await liveTodos();
  const ada = randomUUID();
  const soon = Math.floor(Date.now() / 1000) + 4;
  const shortLived = subscribe(t, project, await userToken(project, ada, {}, soon));
  const longLived = subscribe(t, project, await userToken(project, ada));
  await untilListening(project, ada, [shortLived, longLived]);

  await waitFor('the expiry', async () => shortLived.errors.length > 0, 10_000);
  t.is(shortLived.errors[0].extensions?.code, 'JWT_EXPIRED');
  await insert(project, ada, 'after expiry');
  await waitFor('the other one hears it', async () => longLived.changes.length === 1);
  t.deepEqual(titles(longLived), ['after expiry']);
  t.deepEqual(shortLived.changes, []);
});

/** A listening subscriber, then `mutation` on its project by the owner: the subscription ends with `code`. */
async function subscriptionEndedBy(t: ExecutionContext, mutation: string, code: string) {
  const owner = await signUp(platform);
  const project = await liveTodos(owner);
  const ada = randomUUID();
  const adas = subscribe(t, project, await userToken(project, ada));
  await untilListening(project, ada, [adas]);

  await owner.client.data(mutation, { id: project.id });
  await waitFor('the subscription to end', async () => adas.errors.length > 0, 30_000);
  t.is(adas.errors[0].extensions?.code, code);
  t.deepEqual(adas.changes, []);
}

test('subscribers stop hearing, with PROJECT_PAUSED, when their project is paused', (t) =>
  subscriptionEndedBy(t, `mutation ($id: UUID!) { pauseProject(input: { projectId: $id }) { result { status } } }`, 'PROJECT_PAUSED'));

test('subscribers stop hearing when the JWT secret that signed their tokens is rotated', (t) =>
  subscriptionEndedBy(t, `mutation ($id: UUID!) { rotateProjectJwtSecret(input: { projectId: $id }) { result } }`, 'INVALID_JWT'));

test('a change too long to announce is still made; the table goes on announcing', async (t) => {
  const project = await activeProject(platform, await signUp(platform));
  const table = `p_${project.ref}.notes`;
  const heard = await withClient(project.databaseUrl, async (client) => {
    await client.query(`create table ${table} (id text primary key); select canopy.enable_live('${table}')`);
    const { rows } = await client.query(`select $1::regclass::oid as oid`, [table]);
    const payloads: string[] = [];
    client.on('notification', (message) => payloads.push(message.payload ?? ''));
    await client.query(`listen "canopy:live:${rows[0].oid}"`);
    // A key of 7,000 characters: sealed, its announcement would pass NOTIFY's 8,000 bytes.
    await client.query(`insert into ${table} values ($1)`, ['k'.repeat(7_000)]);
    await client.query(`insert into ${table} values ('short')`);
    await waitFor('the short key announced', async () => payloads.length > 0);
    return payloads;
  });
  t.is(heard.length, 1, 'only the change that fits is announced');
});

/**
 * A project's end users, managed by its organization's members through the control API: everyone in the
 * organization may list and search them; owners, administrators and developers create and delete them, audited.
 */
import { createClient } from '@supabase/supabase-js';
import test from 'ava';
import { type SignedInUser, signUp } from './support/client.ts';
import { newOrganization } from './support/org-fixtures.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';
import { type ActiveProject, activeProject } from './support/projects.ts';

let platform: TestPlatform;
let project: ActiveProject;
let owner: SignedInUser;
let reader: SignedInUser;
let outsider: SignedInUser;
test.before(async () => {
  platform = await startTestPlatform();
  [owner, reader, outsider] = [await signUp(platform), await signUp(platform), await signUp(platform)];
  const org = await newOrganization(platform, owner, [[reader, 'read_only']]);
  project = await activeProject(platform, owner, org);
});
test.after.always(() => platform?.stop());

const LIST = `query ($id: UUID!, $search: String) {
  projectUsers(projectId: $id, search: $search) { totalCount nodes { id email emailConfirmedAt } }
}`;
const CREATE = `mutation ($id: UUID!, $email: String!, $password: String) {
  createProjectUser(projectId: $id, email: $email, password: $password) { id email }
}`;
const DELETE = `mutation ($id: UUID!, $userId: UUID!) { deleteProjectUser(projectId: $id, userId: $userId) }`;

const supabase = () => createClient(project.apiUrl, project.anonKey, { auth: { persistSession: false, autoRefreshToken: false } });

test('an owner creates a user who can then sign in; members list and search; deleting ends it', async (t) => {
  const { createProjectUser } = await owner.client.data(CREATE, { id: project.id, email: 'Grace@Example.com', password: 'a long secret' });
  t.is(createProjectUser.email, 'Grace@Example.com');
  const signedIn = await supabase().auth.signInWithPassword({ email: 'grace@example.com', password: 'a long secret' });
  t.falsy(signedIn.error);

  const { projectUsers } = await reader.client.data(LIST, { id: project.id, search: 'GRACE@' });
  t.is(projectUsers.totalCount, 1);
  t.truthy(projectUsers.nodes[0].emailConfirmedAt);
  t.is((await reader.client.data(LIST, { id: project.id, search: '%' })).projectUsers.totalCount, 0, '% is literal');

  await owner.client.data(DELETE, { id: project.id, userId: createProjectUser.id });
  const again = await supabase().auth.signInWithPassword({ email: 'grace@example.com', password: 'a long secret' });
  t.is(again.error?.code, 'invalid_credentials');
  const { rows } = await platform.owner.query(
    `select action from app_public.audit_events
     where target_id = $1 and details ->> 'project_user_id' = $2 order by id`,
    [project.id, createProjectUser.id],
  );
  t.deepEqual(rows.map((row) => row.action), ['project_user.created', 'project_user.deleted']);
});

test('read-only members may not create or delete users; outsiders see no project at all', async (t) => {
  const { createProjectUser } = await owner.client.data(CREATE, { id: project.id, email: 'kept@example.com' });
  t.is(await reader.client.errorCode(CREATE, { id: project.id, email: 'no@example.com' }), 'FORBIDDEN');
  t.is(await reader.client.errorCode(DELETE, { id: project.id, userId: createProjectUser.id }), 'FORBIDDEN');
  for (const query of [LIST, CREATE]) {
    t.is(await outsider.client.errorCode(query, { id: project.id, email: 'x@example.com' }), 'NOT_FOUND');
  }
  t.is(await outsider.client.errorCode(DELETE, { id: project.id, userId: createProjectUser.id }), 'NOT_FOUND');
});

test('bad input is refused with the control API codes', async (t) => {
  await owner.client.data(CREATE, { id: project.id, email: 'taken@example.com' });
  t.is(await owner.client.errorCode(CREATE, { id: project.id, email: 'TAKEN@example.com' }), 'EMAIL_TAKEN');
  t.is(await owner.client.errorCode(CREATE, { id: project.id, email: 'not an email' }), 'INVALID_EMAIL');
  t.is(await owner.client.errorCode(CREATE, { id: project.id, email: 'short@example.com', password: '123' }), 'WEAK_PASSWORD');
  t.is(
    await owner.client.errorCode(DELETE, { id: project.id, userId: '00000000-0000-4000-8000-000000000000' }),
    'NOT_FOUND',
  );
});

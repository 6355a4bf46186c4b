/** Projects for tests of the project APIs: created through the control API, awaited until active, with credentials. */
import type { SignedInUser } from './client.ts';
import { newOrganization, type Organization, waitFor } from './org-fixtures.ts';
import type { TestPlatform } from './platform.ts';

export interface ActiveProject {
  id: string;
  ref: string;
  org: Organization;
  apiUrl: string;
  anonKey: string;
  serviceRoleKey: string;
  jwtSecret: string;
  databaseUrl: string;
}

/** A new project of `owner` (in `org`, else in a new organization), once active. */
export async function activeProject(platform: TestPlatform, owner: SignedInUser, org?: Organization): Promise<ActiveProject> {
  org ??= await newOrganization(platform, owner);
  const { createProject } = await owner.client.data(
    `mutation ($id: UUID!) { createProject(input: { organizationId: $id, name: "App" }) { result { id ref } } }`,
    { id: org.id },
  );
  const { id, ref } = createProject.result;
  await waitFor(
    'the project to be active',
    async () =>
      (await platform.owner.query(`select from app_public.projects where id = $1 and status = 'active'`, [id])).rowCount === 1,
    60_000,
  );
  const { projectCredentials } = await owner.client.data(
    `query ($id: UUID!) { projectCredentials(projectId: $id) { apiUrl anonKey serviceRoleKey jwtSecret databaseUrl } }`,
    { id },
  );
  return { id, ref, org, ...projectCredentials };
}

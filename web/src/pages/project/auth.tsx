/** A project's Authentication page (/project/:ref/auth): its end users and its auth settings. */
import { createLiveQuery } from '../../graphql/live.ts';
import { useProject } from '../../layout/project.tsx';
import { PageHeader } from '../../ui/misc.tsx';
import { QueryState } from '../../ui/states.tsx';
import { RequiresActive } from './common/active.tsx';
import './common/project.css';
import { AUTH_SETTINGS_FIELDS, type AuthSettings, SettingsSection } from './auth/settings.tsx';
import { UsersSection } from './auth/users.tsx';

const SETTINGS = `query ProjectAuthSettings($projectId: UUID!) { projectAuthSettings(projectId: $projectId) { ${AUTH_SETTINGS_FIELDS} } }`;

export function ProjectAuth() {
  return (
    <>
      <PageHeader title="Authentication" description="The project's end users, and how they sign up and sign in." />
      <RequiresActive>
        <AuthPages />
      </RequiresActive>
    </>
  );
}

function AuthPages() {
  const { project } = useProject();
  const [settings, refetch] = createLiveQuery<{ projectAuthSettings: AuthSettings | null }>({
    query: SETTINGS,
    variables: () => ({ projectId: project().id }),
  });
  return (
    <>
      <UsersSection minPasswordLength={settings.data?.projectAuthSettings?.minPasswordLength} />
      <QueryState result={settings} retry={() => refetch({ requestPolicy: 'network-only' })} empty={(data) => !data.projectAuthSettings}>
        {(data) => <SettingsSection settings={data().projectAuthSettings!} />}
      </QueryState>
    </>
  );
}

/**
 * Every page of the console by URL. Organizations by slug, projects by ref; the heavier pages load on first visit.
 */
import { Navigate, Route, Router, useLocation, type RouteSectionProps } from '@solidjs/router';
import { ErrorBoundary, lazy, Match, Switch } from 'solid-js';
import { OrganizationLayout } from './layout/organization.tsx';
import { ProjectLayout } from './layout/project.tsx';
import { Home } from './pages/home.tsx';
import { Invitation } from './pages/invitation.tsx';
import { NewOrganization } from './pages/org/new.tsx';
import { SignIn, SignUp } from './pages/sign-in.tsx';
import { useSession } from './session.tsx';
import { ErrorState, Loading } from './ui/states.tsx';

const page = <T extends string>(load: () => Promise<Record<T, () => any>>, name: T) => lazy(async () => ({ default: (await load())[name] }));

const Account = page(() => import('./pages/account/account.tsx'), 'Account');
const Projects = page(() => import('./pages/org/projects.tsx'), 'Projects');
const Members = page(() => import('./pages/org/members.tsx'), 'Members');
const AuditLog = page(() => import('./pages/org/audit.tsx'), 'AuditLog');
const Plan = page(() => import('./pages/org/plan.tsx'), 'Plan');
const OrganizationSettings = page(() => import('./pages/org/settings.tsx'), 'OrganizationSettings');
const ProjectHome = page(() => import('./pages/project/home.tsx'), 'ProjectHome');
const TableEditor = page(() => import('./pages/project/tables.tsx'), 'TableEditor');
const SqlEditor = page(() => import('./pages/project/sql.tsx'), 'SqlEditor');
const ProjectAuth = page(() => import('./pages/project/auth.tsx'), 'ProjectAuth');
const ProjectStorage = page(() => import('./pages/project/storage.tsx'), 'ProjectStorage');
const ProjectApi = page(() => import('./pages/project/api.tsx'), 'ProjectApi');
const PlatformAdmin = page(() => import('./pages/admin/admin.tsx'), 'PlatformAdmin');

/** Pages for signed-in people; anybody else is sent to sign in, and comes back after. */
function SignedIn(props: RouteSectionProps) {
  const session = useSession();
  const location = useLocation();
  return (
    <Switch>
      <Match when={session.loading()}>
        <Loading />
      </Match>
      <Match when={session.error()}>
        <ErrorState message="Could not reach Canopy. Check your connection and try again." onRetry={session.reload} />
      </Match>
      <Match when={!session.user()}>
        <Navigate href={`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`} />
      </Match>
      <Match when={session.user()}>
        {/* A page that fails to load (its file is gone after an update) or to render says so, instead of a blank page. */}
        <ErrorBoundary
          fallback={() => (
            <ErrorState message="This page could not be shown. Canopy may have been updated: reload to get the new version." onRetry={() => window.location.reload()} />
          )}
        >
          {props.children}
        </ErrorBoundary>
      </Match>
    </Switch>
  );
}

export function Routes() {
  return (
    <Router>
      <Route path="/sign-in" component={SignIn} />
      <Route path="/sign-up" component={SignUp} />
      <Route path="/invitations/:token" component={Invitation} />
      <Route path="/" component={SignedIn}>
        <Route path="/" component={Home} />
        <Route path="/new" component={NewOrganization} />
        <Route path="/account" component={Account} />
        <Route path="/admin/*section" component={PlatformAdmin} />
        <Route path="/org/:slug" component={OrganizationLayout}>
          <Route path="/" component={Projects} />
          <Route path="/members" component={Members} />
          <Route path="/audit" component={AuditLog} />
          <Route path="/plan" component={Plan} />
          <Route path="/settings" component={OrganizationSettings} />
        </Route>
        <Route path="/project/:ref" component={ProjectLayout}>
          <Route path="/" component={ProjectHome} />
          <Route path="/tables/*table" component={TableEditor} />
          <Route path="/sql" component={SqlEditor} />
          <Route path="/auth" component={ProjectAuth} />
          <Route path="/storage/*path" component={ProjectStorage} />
          <Route path="/api" component={ProjectApi} />
        </Route>
      </Route>
      <Route path="*" component={() => <Navigate href="/" />} />
    </Router>
  );
}

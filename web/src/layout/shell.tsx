/** The frame of every signed-in page: the sidebar (organization switcher, the section's links, account) and the page. */
import { A, useNavigate } from '@solidjs/router';
import { createMutation } from '@urql/solid';
import { For, Show, type JSX, type ParentProps } from 'solid-js';
import { useSession } from '../session.tsx';
import { Button } from '../ui/button.tsx';

export interface NavLink {
  href: string;
  label: string;
  /** Active only on exactly this path (a section's home). */
  end?: boolean;
}

interface ShellProps {
  /** The organization whose pages these are (its slug), for the switcher. */
  organization?: string;
  title?: string;
  links?: NavLink[];
  /** What sits above the links: the project's name and status on project pages. */
  context?: JSX.Element;
}

export function Shell(props: ParentProps<ShellProps>) {
  const session = useSession();
  const navigate = useNavigate();
  const [signingOut, signOut] = createMutation(`mutation SignOut { signOut }`);
  const leave = async () => {
    await signOut({});
    await session.reload();
    navigate('/sign-in');
  };
  return (
    <div class="shell">
      <aside class="sidebar">
        <A href="/" class="brand">Canopy</A>
        <OrganizationSwitcher current={props.organization} />
        {props.context}
        <Show when={props.links}>
          <nav class="nav" aria-label={props.title ?? 'Sections'}>
            <Show when={props.title}>
              <p class="nav-title">{props.title}</p>
            </Show>
            <For each={props.links}>
              {(link) => (
                <A href={link.href} end={link.end} activeClass="active">
                  {link.label}
                </A>
              )}
            </For>
          </nav>
        </Show>
        <div class="sidebar-footer">
          <nav class="nav" aria-label="Account">
            <A href="/account" activeClass="active">Account</A>
            <Show when={session.user()?.isPlatformAdmin}>
              <A href="/admin" activeClass="active">Platform admin</A>
            </Show>
          </nav>
          <p class="muted">{session.user()?.email}</p>
          <Button variant="ghost" onClick={leave} pending={signingOut.fetching}>Sign out</Button>
        </div>
      </aside>
      <main class="main" id="main">{props.children}</main>
    </div>
  );
}

/** Moves between the organizations the user belongs to, or to a new one. */
function OrganizationSwitcher(props: { current?: string }) {
  const session = useSession();
  const navigate = useNavigate();
  const organizations = () => session.user()?.organizationMemberships.nodes.map((m) => m.organization) ?? [];
  const current = () => props.current ?? '';
  return (
    <div class="field">
      <label for="organization-switcher">Organization</label>
      <select
        id="organization-switcher"
        value={current()}
        onChange={(event) => navigate(event.currentTarget.value === '+' ? '/new' : `/org/${event.currentTarget.value}`)}
      >
        <Show when={!current()}>
          <option value="">Choose…</option>
        </Show>
        <For each={organizations()}>
          {(organization) => (
            <option value={organization.slug} selected={organization.slug === current()}>{organization.name}</option>
          )}
        </For>
        <option value="+">+ New organization</option>
      </select>
    </div>
  );
}

/** `/`: the first organization's projects, or creating a first organization. */
import { Navigate } from '@solidjs/router';
import { Show } from 'solid-js';
import { useSession } from '../session.tsx';

export function Home() {
  const session = useSession();
  const first = () => session.user()?.organizationMemberships.nodes[0]?.organization.slug;
  return (
    <Show when={first()} fallback={<Navigate href="/new" />}>
      <Navigate href={`/org/${first()}`} />
    </Show>
  );
}

/**
 * `/org/:slug/audit`: who changed what in the organization, newest first, filtered in the database by kind of
 * action, actor and days. Live: new events join at the top; "Load older events" asks for a longer page.
 */
import { createMemo, createSignal, Show } from 'solid-js';
import { errorMessage } from '../../graphql/client.ts';
import { createLiveQuery } from '../../graphql/live.ts';
import { canManage, useOrganization } from '../../layout/organization.tsx';
import { useSession } from '../../session.tsx';
import { Button } from '../../ui/button.tsx';
import { PageHeader, Section } from '../../ui/misc.tsx';
import { Empty, ErrorState, Loading } from '../../ui/states.tsx';
import {
  AUDIT_EVENTS,
  filterVariables,
  hasFilters,
  NO_FILTERS,
  PAGE_SIZE,
  TEAMMATES,
  type AuditPage,
  type Filters,
  type Teammate,
} from './audit/data.ts';
import { AuditEventTable } from './audit/event-table.tsx';
import { AuditFilters } from './audit/filters.tsx';
import './audit/audit.css';

export function AuditLog() {
  const { organization, role } = useOrganization();
  const session = useSession();
  // The policy (db/policies/060-audit.sql) shows organization entries to owners, administrators and platform admins;
  // anyone else would get an empty list, which would look like nothing happened.
  const mayRead = () => canManage(role()) || !!session.user()?.isPlatformAdmin;
  return (
    <>
      <PageHeader title="Audit log" description="Who changed what in this organization, when and from where." />
      <Show
        when={mayRead()}
        fallback={
          <Section title="Events">
            <Empty title="Only owners and administrators see the audit log">
              <p class="muted">It records every change to members, invitations, settings and projects. Ask an owner or administrator if you need to know who changed something.</p>
            </Empty>
          </Section>
        }
      >
        {/* Keyed: another organization starts from an empty list rather than merging into this one's. */}
        <Show when={organization().id} keyed>
          {(organizationId) => <AuditEvents organizationId={organizationId} />}
        </Show>
      </Show>
    </>
  );
}

function AuditEvents(props: { organizationId: string }) {
  const [filters, setFilters] = createSignal<Filters>(NO_FILTERS);
  const [limit, setLimit] = createSignal(PAGE_SIZE);
  const [page, refetch] = createLiveQuery<AuditPage>({
    query: AUDIT_EVENTS,
    variables: () => ({ organizationId: props.organizationId, ...filterVariables(filters()), first: limit() }),
  });
  const [teammates] = createLiveQuery<{ organization: { organizationMemberships: { nodes: Teammate[] } } | null }>({
    query: TEAMMATES,
    variables: () => ({ organizationId: props.organizationId }),
  });
  const events = () => page.data?.organizationAuditEvents?.nodes ?? [];
  const total = () => page.data?.organizationAuditEvents?.totalCount ?? 0;
  const filter = (next: Filters) => {
    setLimit(PAGE_SIZE);
    setFilters(next);
  };

  const emails = createMemo(() => {
    const map = new Map<string, string>();
    for (const member of teammates.data?.organization?.organizationMemberships.nodes ?? []) {
      if (member.user) map.set(member.userId, member.user.email);
    }
    return map;
  });
  const actors = createMemo(() =>
    [...emails().entries()].map(([id, email]) => ({ id, email })).sort((a, b) => a.email.localeCompare(b.email)),
  );

  return (
    <Show
      when={page.data !== undefined}
      fallback={
        <Show when={page.error} fallback={<Loading />}>
          <ErrorState message={errorMessage(page.error)!} onRetry={() => refetch({ requestPolicy: 'network-only' })} />
        </Show>
      }
    >
      <Section title="Events">
        <AuditFilters filters={filters()} onChange={filter} actors={actors()} />
        <p class="muted audit-count" role="status">
          {total() === 0 ? '' : `Showing the newest ${events().length} of ${total()} ${hasFilters(filters()) ? 'matching ' : ''}events.`}
        </p>
        <Show
          when={total() > 0}
          fallback={
            <Show
              when={hasFilters(filters())}
              fallback={<Empty title="Nothing recorded yet">Changes to members, invitations, settings and projects appear here as they happen.</Empty>}
            >
              <Empty title="No event matches these filters">
                <p class="muted">Change or clear the filters above.</p>
              </Empty>
            </Show>
          }
        >
          <AuditEventTable events={events()} emailOf={(id) => emails().get(id)} />
        </Show>
        <Show when={events().length < total()}>
          <div class="audit-more">
            <Button onClick={() => setLimit(limit() + PAGE_SIZE)} pending={page.fetching}>Load older events</Button>
          </div>
        </Show>
      </Section>
    </Show>
  );
}

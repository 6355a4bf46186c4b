/**
 * `/org/:slug/audit`: who changed what in the organization, newest first. The newest page is live; older pages are
 * added on demand. The log only grows, so everything loaded stays valid and new events join at the top.
 */
import { useClient } from '@urql/solid';
import { createEffect, createMemo, createSignal, Show } from 'solid-js';
import { errorMessage } from '../../graphql/client.ts';
import { createLiveQuery } from '../../graphql/live.ts';
import { canManage, useOrganization } from '../../layout/organization.tsx';
import { useSession } from '../../session.tsx';
import { Button } from '../../ui/button.tsx';
import { FormError } from '../../ui/field.tsx';
import { PageHeader, Section } from '../../ui/misc.tsx';
import { Empty, ErrorState, Loading } from '../../ui/states.tsx';
import {
  AUDIT_EVENTS,
  hasFilters,
  matches,
  newestFirst,
  NO_FILTERS,
  PAGE_SIZE,
  TEAMMATES,
  type AuditEvent,
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

interface Loaded {
  event: AuditEvent;
  cursor: string;
}

function AuditEvents(props: { organizationId: string }) {
  const client = useClient();
  const [newest, refetch] = createLiveQuery<AuditPage>({
    query: AUDIT_EVENTS,
    variables: () => ({ organizationId: props.organizationId, first: PAGE_SIZE }),
  });
  const [teammates] = createLiveQuery<{ organization: { organizationMemberships: { nodes: Teammate[] } } | null }>({
    query: TEAMMATES,
    variables: () => ({ organizationId: props.organizationId }),
  });
  const [loaded, setLoaded] = createSignal(new Map<string, Loaded>());
  const [olderDone, setOlderDone] = createSignal<boolean>();
  const [loadingOlder, setLoadingOlder] = createSignal(false);
  const [olderError, setOlderError] = createSignal<string>();
  const [filters, setFilters] = createSignal<Filters>(NO_FILTERS);

  const merge = (edges: { cursor: string; node: AuditEvent }[]) =>
    setLoaded((previous) => {
      const next = new Map(previous);
      for (const edge of edges) next.set(edge.node.id, { event: edge.node, cursor: edge.cursor });
      return next;
    });

  createEffect(() => {
    const page = newest.data?.auditEvents;
    if (page) merge(page.edges);
  });

  const sorted = createMemo(() => [...loaded().values()].sort((a, b) => newestFirst(a.event, b.event)));
  const events = createMemo(() => sorted().map((entry) => entry.event));
  const shown = createMemo(() => events().filter((event) => matches(event, filters())));
  const total = () => newest.data?.auditEvents?.totalCount ?? 0;
  // Until older pages are asked for, the newest page says whether there are more.
  const hasOlder = () =>
    olderDone() === undefined ? (newest.data?.auditEvents?.pageInfo.hasNextPage ?? false) : !olderDone();

  const emails = createMemo(() => {
    const map = new Map<string, string>();
    for (const member of teammates.data?.organization?.organizationMemberships.nodes ?? []) {
      if (member.user) map.set(member.userId, member.user.email);
    }
    return map;
  });
  const actions = createMemo(() => [...new Set(events().map((event) => event.action))].sort());
  const actors = createMemo(() =>
    [...emails().entries()].map(([id, email]) => ({ id, email })).sort((a, b) => a.email.localeCompare(b.email)),
  );

  const loadOlder = async () => {
    const oldest = sorted().at(-1);
    if (!oldest) return;
    setLoadingOlder(true);
    setOlderError(undefined);
    const result = await client
      .query<AuditPage>(AUDIT_EVENTS, { organizationId: props.organizationId, first: PAGE_SIZE, after: oldest.cursor }, { requestPolicy: 'network-only' })
      .toPromise();
    setLoadingOlder(false);
    const page = result.data?.auditEvents;
    if (result.error || !page) return setOlderError(errorMessage(result.error) ?? 'Could not load older events');
    merge(page.edges);
    setOlderDone(!page.pageInfo.hasNextPage);
  };

  return (
    <Show
      when={newest.data !== undefined}
      fallback={
        <Show when={newest.error} fallback={<Loading />}>
          <ErrorState message={errorMessage(newest.error)!} onRetry={() => refetch({ requestPolicy: 'network-only' })} />
        </Show>
      }
    >
      <Show
        when={total() > 0}
        fallback={
          <Section title="Events">
            <Empty title="Nothing recorded yet">Changes to members, invitations, settings and projects appear here as they happen.</Empty>
          </Section>
        }
      >
        <Section title="Events">
          <AuditFilters filters={filters()} onChange={setFilters} actions={actions()} actors={actors()} />
          <p class="muted audit-count" role="status">
            <Show
              when={hasFilters(filters())}
              fallback={`Showing the newest ${events().length} of ${total()} events.`}
            >
              {`${shown().length} of the ${events().length} loaded events match (${total()} in all). Filters look at loaded events only${hasOlder() ? ': load older events to search further back.' : '.'}`}
            </Show>
          </p>
          <Show
            when={shown().length > 0}
            fallback={
              <Empty title="No loaded event matches these filters">
                <p class="muted">{hasOlder() ? 'Load older events, or change the filters above.' : 'Change or clear the filters above.'}</p>
              </Empty>
            }
          >
            <AuditEventTable events={shown()} emailOf={(id) => emails().get(id)} />
          </Show>
          <Show when={hasOlder()}>
            <div class="audit-more">
              <Button onClick={loadOlder} pending={loadingOlder()}>Load older events</Button>
              <FormError message={olderError()} />
            </div>
          </Show>
        </Section>
      </Show>
    </Show>
  );
}

/**
 * Pages never need a reload to show what another member changed: every audited change in an organization (and in
 * the signed-in user's own account) arrives as a subscription event, and each event re-fetches the queries on screen.
 */
import { createQuery, createSubscription, type CreateQueryArgs } from '@urql/solid';
import type { AnyVariables } from '@urql/core';
import { createEffect, createSignal, on, type Accessor } from 'solid-js';

const [revision, setRevision] = createSignal(0);
/** The newest organization event, for pages that act on one kind (re-reading credentials after they changed). */
const [lastEvent, setLastEvent] = createSignal<OrganizationEvent | undefined>(undefined, { equals: false });

interface OrganizationEvent {
  action: string;
  targetType: string;
}

/** Re-fetches every live query on screen (after a change whose event may come later, or not at all). */
export const refreshLiveQueries = () => setRevision((n) => n + 1);

/** A query that re-fetches from the server whenever something changes. */
export function createLiveQuery<Data = any, Variables extends AnyVariables = AnyVariables>(args: CreateQueryArgs<Data, Variables>) {
  const [result, refetch] = createQuery<Data, Variables>({ requestPolicy: 'cache-and-network', ...args });
  createEffect(on(revision, () => refetch({ requestPolicy: 'network-only' }), { defer: true }));
  return [result, refetch] as const;
}

const ORGANIZATION_EVENTS = `subscription OrganizationEvents($organizationId: UUID!) {
  organizationEvents(organizationId: $organizationId) { action targetType }
}`;
const USER_EVENTS = `subscription CurrentUserEvents { currentUserEvents { action targetType } }`;

/** Follows one organization's changes while its pages are open. */
export function followOrganization(organizationId: Accessor<string | undefined>) {
  createSubscription({
    query: ORGANIZATION_EVENTS,
    variables: () => ({ organizationId: organizationId() ?? '' }),
    pause: () => !organizationId(),
  }, (_previous, data: { organizationEvents: OrganizationEvent }) => {
    setLastEvent(data.organizationEvents);
    refreshLiveQueries();
    return data;
  });
}

/** Runs `react` when one of `actions` happens in the organization on screen (`project.credentials_changed`, …). */
export function onOrganizationEvent(actions: string[], react: () => void) {
  createEffect(on(lastEvent, (event) => event && actions.includes(event.action) && react(), { defer: true }));
}

/** Follows the signed-in user's own changes (memberships, invitations, sessions). */
export function followCurrentUser(signedIn: Accessor<boolean>) {
  createSubscription({ query: USER_EVENTS, pause: () => !signedIn() }, () => refreshLiveQueries());
}

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

/**
 * A query that re-fetches from the server whenever something changes. urql drops a re-fetch asked for while the
 * same query is in flight, so a change that comes then is read once that answer is in (or it would be missed).
 */
export function createLiveQuery<Data = any, Variables extends AnyVariables = AnyVariables>(args: CreateQueryArgs<Data, Variables>) {
  const [result, refetch] = createQuery<Data, Variables>({ requestPolicy: 'cache-and-network', ...args });
  // In flight: fetching, or `stale` (urql's own re-execution after a mutation, or cache-and-network, which leaves
  // `fetching` false).
  const inFlight = () => result.fetching || !!result.stale;
  let missed = false;
  const reread = () => {
    missed = inFlight();
    if (!missed) refetch({ requestPolicy: 'network-only' });
  };
  createEffect(on(revision, reread, { defer: true }));
  createEffect(on(inFlight, (busy) => !busy && missed && reread(), { defer: true }));
  return [result, refetch] as const;
}

const ORGANIZATION_EVENTS = `subscription OrganizationEvents($organizationId: UUID!) {
  organizationEvents(organizationId: $organizationId) { action targetType }
}`;
const USER_EVENTS = `subscription CurrentUserEvents { currentUserEvents { action targetType } }`;

const [followed, setFollowed] = createSignal<string>();

/**
 * Follows an organization's changes while its pages (or its projects' pages) are open. The subscription itself lives
 * in `OrganizationEvents`, above the routes, so moving between pages of one organization never restarts it (events
 * sent while a subscription restarts are lost).
 */
export function followOrganization(organizationId: Accessor<string | undefined>) {
  createEffect(() => organizationId() && setFollowed(organizationId()));
}

export function OrganizationEvents() {
  createSubscription(
    {
      query: ORGANIZATION_EVENTS,
      variables: () => ({ organizationId: followed() ?? '' }),
      pause: () => !followed(),
    },
    (_previous, data: { organizationEvents: OrganizationEvent }) => {
      setLastEvent(data.organizationEvents);
      refreshLiveQueries();
      return data;
    },
  );
  return null;
}

/** Runs `react` when one of `actions` happens in the organization on screen (`project.credentials_changed`, …). */
export function onOrganizationEvent(actions: string[], react: () => void) {
  createEffect(on(lastEvent, (event) => event && actions.includes(event.action) && react(), { defer: true }));
}

/** Follows the signed-in user's own changes (memberships, invitations, sessions). */
export function followCurrentUser(signedIn: Accessor<boolean>) {
  createSubscription({ query: USER_EVENTS, pause: () => !signedIn() }, () => refreshLiveQueries());
}

/**
 * Platform-wide lists have no event stream (organization events reach only an organization's members), so the admin
 * pages poll: every few seconds while the tab is visible, and at once when it becomes visible again.
 */
import type { CombinedError } from '@urql/core';
import { createQuery } from '@urql/solid';
import { createMemo, createSignal, onCleanup, type Accessor } from 'solid-js';

export function createPolling(refetch: () => void, intervalMs: number, busy: Accessor<boolean> = () => false) {
  const tick = () => {
    if (document.visibilityState === 'visible' && !busy()) refetch();
  };
  const timer = setInterval(tick, intervalMs);
  document.addEventListener('visibilitychange', tick);
  onCleanup(() => {
    clearInterval(timer);
    document.removeEventListener('visibilitychange', tick);
  });
}

export interface QueryResult<Data> {
  data?: Data;
  error?: CombinedError;
  fetching: boolean;
}

/**
 * The query's result, but keeping the last data while new variables load ("Show more", another state): the table
 * stays on screen instead of flashing to a spinner.
 */
export function keepPrevious<Data>(result: QueryResult<Data>): QueryResult<Data> {
  let last: Data | undefined;
  const data = createMemo(() => (last = result.data ?? last));
  return {
    get data() {
      return data();
    },
    get error() {
      return result.error;
    },
    get fetching() {
      return result.fetching;
    },
  };
}

/** Rows a platform-wide list asks for at first, and more each time. */
export const PAGE_SIZE = 200;

/**
 * A platform-wide list (`query` takes `$first`): polled every `everyMs`, kept on screen while it refreshes, and a page
 * longer on `showMore`.
 */
export function createAdminList<Data>(query: string, everyMs: number) {
  const [first, setFirst] = createSignal(PAGE_SIZE);
  const [raw, refetch] = createQuery<Data>({ query, variables: () => ({ first: first() }), requestPolicy: 'cache-and-network' });
  const result = keepPrevious(raw);
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  createPolling(refresh, everyMs, () => raw.fetching);
  return {
    result,
    refresh,
    /** Fetching with data on screen: a refresh or "Show more". */
    refreshing: () => raw.fetching && result.data !== undefined,
    showMore: () => setFirst(first() + PAGE_SIZE),
  };
}

/**
 * The worker queue (graphile-worker): how many jobs wait, run and failed, the newest of them, and a retry for the
 * failed ones. A job that succeeded leaves the queue, so an empty queue is the healthy one. Polled every 5 seconds.
 */
import { createMutation, createQuery } from '@urql/solid';
import { createSignal, For, Show } from 'solid-js';
import { errorMessage } from '../../graphql/client.ts';
import { Button } from '../../ui/button.tsx';
import { Select } from '../../ui/field.tsx';
import { formatDate, PageHeader } from '../../ui/misc.tsx';
import { Empty, QueryState } from '../../ui/states.tsx';
import { createPolling, keepPrevious } from './live.ts';
import { RefreshError } from './table.tsx';
import type { PlatformJob, PlatformJobs } from '../../../../server/src/control/platform-results.ts';

const JOBS = `query PlatformJobs($state: String!, $first: Int!) {
  platformJobs(state: $state, first: $first) {
    pending running failed
    jobs { id taskIdentifier queueName key attempts maxAttempts lastError runAt lockedAt lockedBy createdAt }
  }
}`;
const RETRY = `mutation RetryPlatformJob($id: BigInt!) { retryPlatformJob(id: $id) }`;

type JobState = 'pending' | 'running' | 'failed';

const FIRST = 100;
const STATE_OPTIONS = [
  { value: 'all', label: 'All jobs' },
  { value: 'pending', label: 'Pending' },
  { value: 'running', label: 'Running' },
  { value: 'failed', label: 'Failed' },
];
const STATE_TONE: Record<JobState, string> = { pending: 'quiet', running: 'busy', failed: 'bad' };

/** The same rule as the server's (server/src/control/platform.ts). */
const stateOf = (job: PlatformJob): JobState =>
  job.lockedAt ? 'running' : job.attempts >= job.maxAttempts ? 'failed' : 'pending';

export function AdminJobs() {
  const [state, setState] = createSignal('all');
  const [query, refetch] = createQuery<{ platformJobs: PlatformJobs | null }>({
    query: JOBS,
    variables: () => ({ state: state(), first: FIRST }),
    requestPolicy: 'cache-and-network',
  });
  const result = keepPrevious(query);
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  createPolling(refresh, 5_000, () => query.fetching);
  const inState = (jobs: PlatformJobs) =>
    state() === 'all' ? jobs.pending + jobs.running + jobs.failed : jobs[state() as JobState];
  return (
    <>
      <PageHeader title="Jobs" description="The worker's queue: provisioning, mail, migrations and the rest. A job that succeeded leaves it.">
        <Button onClick={refresh} pending={query.fetching && result.data !== undefined}>Refresh</Button>
      </PageHeader>
      <RefreshError result={result} />
      <QueryState result={result} retry={refresh}>
        {(data) => (
          <Show when={data().platformJobs} fallback={<Empty title="Platform admins only">The server did not show the queue.</Empty>}>
            {(jobs) => (
              <>
                <dl class="admin-stats" aria-label="Queue counts">
                  <div class="card"><dt>Pending</dt><dd>{jobs().pending}</dd></div>
                  <div class="card"><dt>Running</dt><dd>{jobs().running}</dd></div>
                  <div class={`card ${jobs().failed > 0 ? 'admin-stat-bad' : ''}`}><dt>Failed</dt><dd>{jobs().failed}</dd></div>
                </dl>
                <div class="toolbar">
                  <Select label="State" value={state()} onValue={setState} options={STATE_OPTIONS} />
                  <p class="muted admin-count" aria-live="polite">
                    {inState(jobs()) > jobs().jobs.length ? `The newest ${jobs().jobs.length} of ${inState(jobs())}` : `${jobs().jobs.length}`}{' '}
                    {state() === 'all' ? 'jobs' : `${state()} jobs`} · refreshed every 5 seconds
                  </p>
                </div>
                <Show
                  when={jobs().jobs.length > 0}
                  fallback={
                    <Empty title={state() === 'all' ? 'The queue is empty' : `No ${state()} jobs`}>
                      {state() === 'all' ? 'Every job so far has run and succeeded.' : undefined}
                    </Empty>
                  }
                >
                  <JobTable jobs={jobs().jobs} onRetried={refresh} />
                </Show>
              </>
            )}
          </Show>
        )}
      </QueryState>
    </>
  );
}

function JobTable(props: { jobs: PlatformJob[]; onRetried: () => void }) {
  return (
    <div class="table-wrap">
      <table class="table" aria-label="Jobs">
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">State</th>
            <th scope="col">Timing</th>
            <th scope="col">Last error</th>
            <th scope="col" class="actions"><span class="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          <For each={props.jobs}>{(job) => <JobRow job={job} onRetried={props.onRetried} />}</For>
        </tbody>
      </table>
    </div>
  );
}

function JobRow(props: { job: PlatformJob; onRetried: () => void }) {
  const state = () => stateOf(props.job);
  return (
    <tr>
      <td>
        <div class="admin-job">
          <strong>{props.job.taskIdentifier}</strong>
          <span class="muted">#{props.job.id}{props.job.queueName ? ` · queue ${props.job.queueName}` : ''}</span>
          <Show when={props.job.key}>
            <code class="admin-key">{props.job.key}</code>
          </Show>
        </div>
      </td>
      <td>
        <div class="admin-status">
          <span class={`badge badge-${STATE_TONE[state()]}`}>{state()}</span>
          <span class="muted">attempt {props.job.attempts} of {props.job.maxAttempts}</span>
        </div>
      </td>
      <td class="admin-timing">
        <span>Created {formatDate(props.job.createdAt)}</span>
        <Show
          when={state() === 'running'}
          fallback={<Show when={state() === 'pending'}><span class="muted">Runs {formatDate(props.job.runAt)}</span></Show>}
        >
          <span class="muted">Since {formatDate(props.job.lockedAt)} on {props.job.lockedBy ?? 'a worker'}</span>
        </Show>
      </td>
      <td class="admin-error-cell">
        <Show when={props.job.lastError} fallback={<span class="muted">—</span>}>
          {(error) => (
            <details class="admin-error">
              <summary>{error().split('\n')[0].slice(0, 120)}</summary>
              <pre>{error()}</pre>
            </details>
          )}
        </Show>
      </td>
      <td class="actions">
        <Show when={state() === 'failed'}>
          <RetryButton id={props.job.id} onRetried={props.onRetried} />
        </Show>
      </td>
    </tr>
  );
}

/** Runs a failed job again now; what went wrong is said under the button. */
function RetryButton(props: { id: string; onRetried: () => void }) {
  const [retrying, retry] = createMutation(RETRY);
  const [error, setError] = createSignal<string>();
  const run = async () => {
    setError(undefined);
    const result = await retry({ id: props.id });
    if (result.error) setError(errorMessage(result.error));
    else props.onRetried();
  };
  return (
    <div class="admin-retry">
      <Button onClick={run} pending={retrying.fetching} aria-label={`Retry job ${props.id}`}>Retry</Button>
      <Show when={error()}>
        <p class="field-error" role="alert">{error()}</p>
      </Show>
    </div>
  );
}

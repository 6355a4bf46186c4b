/** The Postgres clusters that hold organization databases: how full each is. Added with `npm run admin -- add-cluster`. */
import { createQuery } from '@urql/solid';
import { For, Show } from 'solid-js';
import { Button } from '../../ui/button.tsx';
import { formatDate, PageHeader } from '../../ui/misc.tsx';
import { Empty, QueryState } from '../../ui/states.tsx';
import { createPolling } from './live.ts';
import { RefreshError } from './table.tsx';
import type { PlatformCluster } from '../../../../server/src/control/platform-results.ts';

const CLUSTERS = `query PlatformClusters { platformClusters { name capacity organizationDatabases projects createdAt } }`;

export function AdminClusters() {
  const [result, refetch] = createQuery<{ platformClusters: PlatformCluster[] | null }>({ query: CLUSTERS, requestPolicy: 'cache-and-network' });
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  createPolling(refresh, 30_000, () => result.fetching);
  return (
    <>
      <PageHeader title="Clusters" description="The Postgres servers that hold organization databases. A new organization goes to the one with most room.">
        <Button onClick={refresh} pending={result.fetching && result.data !== undefined}>Refresh</Button>
      </PageHeader>
      <RefreshError result={result} />
      <QueryState
        result={result}
        retry={refresh}
        empty={(data) => !data.platformClusters?.length}
        whenEmpty={
          <Empty title="No clusters">
            Add one on the server with <code>npm run admin -- add-cluster &lt;name&gt; &lt;superuser-url&gt; [max-databases]</code>.
          </Empty>
        }
      >
        {(data) => (
          <div class="table-wrap">
            <table class="table" aria-label="Clusters">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Organization databases</th>
                  <th scope="col" class="admin-number">Projects</th>
                  <th scope="col">Added</th>
                </tr>
              </thead>
              <tbody>
                <For each={data().platformClusters ?? []}>{(cluster) => <ClusterRow cluster={cluster} />}</For>
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
      <p class="muted">Add a cluster with <code>npm run admin -- add-cluster</code> on the server; connection URLs never leave it.</p>
    </>
  );
}

function ClusterRow(props: { cluster: PlatformCluster }) {
  const used = () => (props.cluster.capacity ? Math.min(1, props.cluster.organizationDatabases / props.cluster.capacity) : 0);
  return (
    <tr>
      <td><strong>{props.cluster.name}</strong></td>
      <td>
        <div class="admin-capacity">
          <span>
            {props.cluster.organizationDatabases}
            {props.cluster.capacity !== null ? ` of ${props.cluster.capacity}` : ' (no limit)'}
          </span>
          <Show when={props.cluster.capacity}>
            <meter
              min={0}
              max={1}
              high={0.8}
              optimum={0}
              value={used()}
              aria-label={`${props.cluster.name}: ${Math.round(used() * 100)}% full`}
            />
          </Show>
        </div>
      </td>
      <td class="admin-number">{props.cluster.projects}</td>
      <td>{formatDate(props.cluster.createdAt)}</td>
    </tr>
  );
}

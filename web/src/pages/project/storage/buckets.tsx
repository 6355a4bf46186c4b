/** A project's buckets with what each holds; writers create, edit and delete them (emptied first). */
import { A } from '@solidjs/router';
import { createSignal, For, Show } from 'solid-js';
import { createLiveQuery, refreshLiveQueries } from '../../../graphql/live.ts';
import { canWrite } from '../../../layout/organization.tsx';
import { useProject } from '../../../layout/project.tsx';
import { Button } from '../../../ui/button.tsx';
import { ConfirmDialog } from '../../../ui/dialog.tsx';
import { Badge, formatBytes, Section } from '../../../ui/misc.tsx';
import { Empty, QueryState } from '../../../ui/states.tsx';
import { BucketDialog } from './bucket-dialog.tsx';
import { folderHref, type StorageApi } from './scope.ts';

export const USAGE = `query ProjectStorageUsage($projectId: UUID!) {
  projectStorageUsage(projectId: $projectId) { objects bytes buckets { bucket public objects bytes } }
}`;

export interface BucketUsage {
  bucket: string;
  public: boolean;
  objects: number;
  bytes: number;
}

export interface UsageData {
  projectStorageUsage: { objects: number; bytes: number; buckets: BucketUsage[] } | null;
}

export const files = (count: number) => `${count.toLocaleString()} ${count === 1 ? 'file' : 'files'}`;

export function BucketList(props: { api: StorageApi }) {
  const { project, role } = useProject();
  const [result, refetch] = createLiveQuery<UsageData>({ query: USAGE, variables: () => ({ projectId: project().id }) });
  const [dialog, setDialog] = createSignal<{ bucket?: string }>();
  const [deleting, setDeleting] = createSignal<BucketUsage>();
  const writer = () => canWrite(role());
  const buckets = () => result.data?.projectStorageUsage?.buckets ?? [];
  const isEmpty = () => !!result.data && buckets().length === 0;

  // Buckets change through the storage API, which announces nothing: re-read what is on screen now.
  const changed = () => {
    refreshLiveQueries();
  };

  const onDelete = async () => {
    const bucket = deleting()!;
    const path = `/bucket/${encodeURIComponent(bucket.bucket)}`;
    try {
      if (bucket.objects > 0) await props.api.call(`${path}/empty`, { method: 'POST' });
      await props.api.call(path, { method: 'DELETE' });
    } catch (error) {
      return (error as Error).message;
    }
    changed();
    return undefined;
  };

  const newBucket = () => (
    <Button variant="primary" onClick={() => setDialog({})} disabled={!writer()}>New bucket</Button>
  );

  return (
    <Section
      title="Buckets"
      description={
        result.data?.projectStorageUsage
          ? `${files(result.data.projectStorageUsage.objects)}, ${formatBytes(result.data.projectStorageUsage.bytes)} in all.`
          : 'Files are kept in buckets; each bucket has its own access and limits.'
      }
      actions={<Show when={!isEmpty()}>{newBucket()}</Show>}
    >
      <Show when={!writer()}>
        <p class="muted" style={{ 'margin-bottom': '12px' }}>Your role can browse and download files; developers and above change buckets and files.</p>
      </Show>
      <QueryState
        result={result}
        retry={() => refetch({ requestPolicy: 'network-only' })}
        empty={(data) => !data.projectStorageUsage || data.projectStorageUsage.buckets.length === 0}
        whenEmpty={
          <Empty title="No buckets yet">
            <p class="muted">Create a bucket to keep files: images, documents, uploads from your app's users.</p>
            {newBucket()}
          </Empty>
        }
      >
        {() => (
          <div class="table-wrap table-contain">
            <table class="table table-middle" aria-label="Buckets">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Access</th>
                  <th scope="col">Files</th>
                  <th scope="col">Size</th>
                  <th scope="col"><span class="visually-hidden">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                <For each={buckets()}>
                  {(bucket) => (
                    <tr>
                      <td><A href={folderHref(project().ref, bucket.bucket)}>{bucket.bucket}</A></td>
                      <td><Badge status={bucket.public ? 'public' : 'private'} /></td>
                      <td>{bucket.objects.toLocaleString()}</td>
                      <td>{formatBytes(bucket.bytes)}</td>
                      <td class="actions">
                        <Show when={writer()}>
                          <Button variant="ghost" onClick={() => setDialog({ bucket: bucket.bucket })} aria-label={`Edit bucket ${bucket.bucket}`}>
                            Edit
                          </Button>
                          <Button variant="ghost" onClick={() => setDeleting(bucket)} aria-label={`Delete bucket ${bucket.bucket}`}>
                            Delete
                          </Button>
                        </Show>
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
      <BucketDialog
        open={!!dialog()}
        bucket={dialog()?.bucket}
        api={props.api}
        onClose={() => setDialog(undefined)}
        onSaved={changed}
      />
      <ConfirmDialog
        open={!!deleting()}
        title="Delete this bucket?"
        action="Delete bucket"
        typeToConfirm={deleting()?.bucket}
        onConfirm={onDelete}
        onClose={() => setDeleting(undefined)}
      >
        <p>
          The bucket <strong>{deleting()?.bucket}</strong> is deleted
          <Show when={(deleting()?.objects ?? 0) > 0}>
            {' '}with its {files(deleting()!.objects)} ({formatBytes(deleting()!.bytes)}), which are deleted first
          </Show>
          . This cannot be undone.
        </p>
      </ConfirmDialog>
    </Section>
  );
}

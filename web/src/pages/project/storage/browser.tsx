/**
 * One bucket's files, a folder at a time (/project/:ref/storage/<bucket>/<folder…>): breadcrumbs, folders and files,
 * uploads with progress, new folders, downloads, signed URLs and deletes. The listing follows the organization's
 * events through the bucket's usage (a live query): when what the bucket holds changes, the folder is listed again.
 */
import { A, useNavigate } from '@solidjs/router';
import { createMutation, useClient } from '@urql/solid';
import { createEffect, createSignal, For, Match, on, Show, Switch } from 'solid-js';
import { errorMessage } from '../../../graphql/client.ts';
import { createLiveQuery, refreshLiveQueries } from '../../../graphql/live.ts';
import { canWrite } from '../../../layout/organization.tsx';
import { useProject } from '../../../layout/project.tsx';
import { Button } from '../../../ui/button.tsx';
import { ConfirmDialog } from '../../../ui/dialog.tsx';
import { Badge, formatBytes, formatDate, Section } from '../../../ui/misc.tsx';
import { Empty, ErrorState, Loading } from '../../../ui/states.tsx';
import { files, USAGE, type UsageData } from './buckets.tsx';
import { apiLister, controlLister, type Entry, FOLDER_PLACEHOLDER, type Lister, namesUnder } from './listing.ts';
import { NewFolderDialog } from './new-folder-dialog.tsx';
import { type BucketDetails, folderHref, signedUrl, type StorageApi } from './scope.ts';
import { ShareDialog } from './share-dialog.tsx';
import { createUploads, UploadList } from './uploads.tsx';

const DELETE_OBJECTS = `mutation DeleteObjects($projectId: UUID!, $bucket: String!, $paths: [String!]!) {
  deleteProjectStorageObjects(projectId: $projectId, bucket: $bucket, paths: $paths)
}`;

const PAGE = 100;

export function BucketBrowser(props: { bucket: string; prefix: string; api: StorageApi }) {
  const { project, role } = useProject();
  const client = useClient();
  const navigate = useNavigate();
  const writer = () => canWrite(role());
  const [usage] = createLiveQuery<UsageData>({ query: USAGE, variables: () => ({ projectId: project().id }) });
  const bucketUsage = () => usage.data?.projectStorageUsage?.buckets.find((b) => b.bucket === props.bucket);
  const lister = (): Lister => (writer() ? apiLister(props.api) : controlLister(client, () => project().id));

  // The bucket's limits, for checking files before they are sent (writers only: it takes the service key).
  const [details, setDetails] = createSignal<BucketDetails>();
  createEffect(on(() => [props.bucket, writer()] as const, async ([bucket, mayWrite]) => {
    setDetails(undefined);
    if (!mayWrite) return;
    setDetails(await props.api.call<BucketDetails>(`/bucket/${encodeURIComponent(bucket)}`).catch(() => undefined));
  }));

  const [entries, setEntries] = createSignal<Entry[]>();
  const [next, setNext] = createSignal<number>();
  const [listError, setListError] = createSignal<string>();
  const [loadingMore, setLoadingMore] = createSignal(false);
  let generation = 0;

  /** Lists the folder from its start (`fresh` drops what is shown first, for another folder). */
  const list = async (fresh: boolean) => {
    const id = ++generation;
    if (fresh) {
      setEntries(undefined);
      setListError(undefined);
    }
    try {
      const page = await lister()(props.bucket, props.prefix, 0, PAGE);
      if (id !== generation) return;
      setEntries(shown(page.entries));
      setNext(page.next);
      setListError(undefined);
    } catch (error) {
      if (id === generation) setListError((error as Error).message);
    }
  };
  const more = async () => {
    const id = generation;
    setLoadingMore(true);
    try {
      const page = await lister()(props.bucket, props.prefix, next()!, PAGE);
      if (id !== generation) return;
      const known = new Set(entries()!.map((entry) => entry.path));
      setEntries(shown([...entries()!, ...page.entries.filter((entry) => !known.has(entry.path))]));
      setNext(page.next);
    } catch (error) {
      setListError((error as Error).message);
    } finally {
      setLoadingMore(false);
    }
  };
  createEffect(on(() => [props.bucket, props.prefix, writer()] as const, () => void list(true)));
  // What the bucket holds changed (an upload, a delete, another member's): list again, keeping the rows meanwhile.
  createEffect(on(() => (bucketUsage() ? `${bucketUsage()!.objects}:${bucketUsage()!.bytes}` : ''), () => void list(false), { defer: true }));

  const changed = () => {
    void list(false);
    refreshLiveQueries();
  };
  const uploads = createUploads({ projectId: () => project().id, bucket: () => props.bucket, details, onUploaded: changed });

  // Files chosen (or dropped) whose names are taken wait for "Replace".
  const [replacing, setReplacing] = createSignal<File[]>();
  const upload = (files: File[]) => {
    if (files.length === 0) return;
    const taken = new Set(entries()?.filter((entry) => entry.kind === 'file').map((entry) => entry.name));
    if (files.some((file) => taken.has(file.name))) setReplacing(files);
    else void uploads.start(files, props.prefix);
  };

  const [rowErrors, setRowErrors] = createSignal<Record<string, string>>({});
  const setRowError = (path: string, message?: string) => setRowErrors({ ...rowErrors(), [path]: message ?? '' });

  const download = async (entry: Entry) => {
    setRowError(entry.path);
    try {
      const url = await signedUrl(client, { projectId: project().id, bucket: props.bucket, path: entry.path, expiresIn: 60 });
      const link = document.createElement('a');
      link.href = `${url}&download`;
      link.download = entry.name;
      link.click();
    } catch (error) {
      setRowError(entry.path, (error as Error).message);
    }
  };

  const [, deleteObjects] = createMutation(DELETE_OBJECTS);
  const [deleting, setDeleting] = createSignal<Entry>();
  const onDelete = async () => {
    const entry = deleting()!;
    try {
      const paths = entry.kind === 'file' ? [entry.path] : await namesUnder(client, project().id, props.bucket, entry.path);
      for (let start = 0; start < paths.length; start += 1000) {
        const result = await deleteObjects({ projectId: project().id, bucket: props.bucket, paths: paths.slice(start, start + 1000) });
        if (result.error) return errorMessage(result.error);
      }
    } catch (error) {
      return (error as Error).message;
    }
    changed();
    return undefined;
  };

  const [sharing, setSharing] = createSignal<Entry>();
  const [newFolder, setNewFolder] = createSignal(false);
  /** Said in the folder just made when its placeholder was refused. */
  const [folderNotice, setFolderNotice] = createSignal<{ prefix: string; text: string }>();
  const createFolder = async (name: string) => {
    const prefix = `${props.prefix}${name}/`;
    const placeholder = Object.assign(new Blob([], { type: 'application/octet-stream' }), { name: FOLDER_PLACEHOLDER });
    const error = await uploads.quiet(placeholder, `${prefix}${FOLDER_PLACEHOLDER}`);
    // A bucket that takes only some types refuses the empty placeholder: the folder then exists once a file is in it.
    if (error && !/type/i.test(error)) return error;
    setFolderNotice(error ? { prefix, text: 'This folder appears in the bucket once a file is uploaded into it.' } : undefined);
    navigate(folderHref(project().ref, props.bucket, prefix));
    return undefined;
  };

  const [dragging, setDragging] = createSignal(false);
  let fileInput!: HTMLInputElement;

  return (
    <>
      <Breadcrumbs bucket={props.bucket} prefix={props.prefix} />
      <Switch>
        <Match when={usage.data && !bucketUsage()}>
          <Empty title="No such bucket">
            <p class="muted">The bucket “{props.bucket}” does not exist, or was deleted.</p>
            <A href={`/project/${project().ref}/storage`}>See the buckets</A>
          </Empty>
        </Match>
        <Match when={true}>
          <Section
            title={props.prefix ? props.prefix.slice(0, -1).split('/').pop()! : props.bucket}
            description={bucketUsage() ? `${files(bucketUsage()!.objects)}, ${formatBytes(bucketUsage()!.bytes)} in this bucket.` : undefined}
            actions={
              <div class="row">
                <Show when={bucketUsage()}>{(b) => <Badge status={b().public ? 'public' : 'private'} />}</Show>
                <Show when={writer()}>
                  <Button onClick={() => setNewFolder(true)}>New folder</Button>
                  <input
                    ref={fileInput}
                    id="storage-upload"
                    class="visually-hidden file-input"
                    type="file"
                    multiple
                    onChange={(event) => {
                      upload([...(event.currentTarget.files ?? [])]);
                      event.currentTarget.value = '';
                    }}
                  />
                  <label for="storage-upload" class="button button-primary">Upload files</label>
                </Show>
              </div>
            }
          >
            <div
              class="dropzone"
              classList={{ 'dropzone-active': dragging() }}
              onDragOver={(event) => {
                if (!writer()) return;
                event.preventDefault();
                setDragging(true);
              }}
              onDragLeave={() => setDragging(false)}
              onDrop={(event) => {
                if (!writer()) return;
                event.preventDefault();
                setDragging(false);
                upload([...(event.dataTransfer?.files ?? [])]);
              }}
            >
              <Show when={folderNotice()?.prefix === props.prefix && folderNotice()}>
                {(notice) => <p class="notice" role="status">{notice().text}</p>}
              </Show>
              <UploadList uploads={uploads.uploads} onDismiss={uploads.dismiss} />
              <Switch>
                <Match when={listError() && !entries()}>
                  <ErrorState message={listError()!} onRetry={() => void list(true)} />
                </Match>
                <Match when={!entries()}>
                  <Loading />
                </Match>
                <Match when={entries()!.length === 0}>
                  <Empty title={props.prefix ? 'This folder is empty' : 'No files in this bucket yet'}>
                    <Show when={writer()} fallback={<p class="muted">Files uploaded to this bucket show here.</p>}>
                      <p class="muted">Upload files with the button above, or drop them here.</p>
                      <Button onClick={() => fileInput.click()}>Choose files</Button>
                    </Show>
                  </Empty>
                </Match>
                <Match when={entries()}>
                  {(rows) => (
                    <FileTable
                      entries={rows()}
                      projectRef={project().ref}
                      bucket={props.bucket}
                      writer={writer()}
                      errors={rowErrors()}
                      onDownload={download}
                      onShare={setSharing}
                      onDelete={setDeleting}
                    />
                  )}
                </Match>
              </Switch>
              <Show when={listError() && entries()}>
                <p class="form-error" role="alert">{listError()}</p>
              </Show>
              <Show when={next() !== undefined}>
                <div class="pager">
                  <span class="muted">{entries()?.length} shown</span>
                  <Button onClick={more} pending={loadingMore()}>Show more</Button>
                </div>
              </Show>
            </div>
          </Section>
        </Match>
      </Switch>
      <ConfirmDialog
        open={!!replacing()}
        title="Replace files?"
        action="Replace"
        onConfirm={async () => {
          const files = replacing()!;
          setReplacing(undefined);
          void uploads.start(files, props.prefix);
        }}
        onClose={() => setReplacing(undefined)}
      >
        <p>This folder already has files named {replacing()?.map((file) => file.name).join(', ')}. Uploading replaces them.</p>
      </ConfirmDialog>
      <ConfirmDialog
        open={!!deleting()}
        title={deleting()?.kind === 'folder' ? 'Delete this folder?' : 'Delete this file?'}
        action={deleting()?.kind === 'folder' ? 'Delete folder' : 'Delete file'}
        onConfirm={onDelete}
        onClose={() => setDeleting(undefined)}
      >
        <p>
          <Show when={deleting()?.kind === 'folder'} fallback={<><strong>{deleting()?.name}</strong> is deleted for good.</>}>
            The folder <strong>{deleting()?.name}</strong> and every file in it are deleted for good.
          </Show>
        </p>
      </ConfirmDialog>
      <ShareDialog
        projectId={project().id}
        projectRef={project().ref}
        bucket={props.bucket}
        public={bucketUsage()?.public ?? false}
        path={sharing()?.path}
        mimeType={sharing()?.mimeType}
        onClose={() => setSharing(undefined)}
      />
      <NewFolderDialog open={newFolder()} onCreate={createFolder} onClose={() => setNewFolder(false)} />
    </>
  );
}

/** A folder or a sheet, drawn: emoji glyphs are missing from some systems' fonts. */
function FileIcon(props: { folder: boolean }) {
  return (
    <svg class="file-icon" width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">
      <Show
        when={props.folder}
        fallback={<path d="M4 1.5h5l3.5 3.5v9.5h-8.5z M9 1.5v3.5h3.5" fill="none" stroke="currentColor" stroke-width="1.2" stroke-linejoin="round" />}
      >
        <path d="M1.5 3.5h4.5l1.5 1.5h7v8.5h-13z" fill="#fde68a" stroke="#b45309" stroke-width="1.2" stroke-linejoin="round" />
      </Show>
    </svg>
  );
}

/** Folders first, then files, each by name; the folder placeholder is no file. */
function shown(entries: Entry[]): Entry[] {
  return entries
    .filter((entry) => !(entry.kind === 'file' && entry.name === FOLDER_PLACEHOLDER))
    .sort((a, b) => (a.kind === b.kind ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.kind === 'folder' ? -1 : 1));
}

function Breadcrumbs(props: { bucket: string; prefix: string }) {
  const { project } = useProject();
  const folders = () => props.prefix.split('/').filter(Boolean);
  const crumbs = () => [
    { label: props.bucket, href: folderHref(project().ref, props.bucket) },
    ...folders().map((name, i) => ({ label: name, href: folderHref(project().ref, props.bucket, `${folders().slice(0, i + 1).join('/')}/`) })),
  ];
  return (
    <nav aria-label="Breadcrumbs" class="breadcrumbs">
      <ol>
        <li><A href={`/project/${project().ref}/storage`}>Buckets</A></li>
        <For each={crumbs()}>
          {(crumb, i) => (
            <li>
              <Show when={i() < crumbs().length - 1} fallback={<span aria-current="page">{crumb.label}</span>}>
                <A href={crumb.href}>{crumb.label}</A>
              </Show>
            </li>
          )}
        </For>
      </ol>
    </nav>
  );
}

function FileTable(props: {
  entries: Entry[];
  projectRef: string;
  bucket: string;
  writer: boolean;
  errors: Record<string, string>;
  onDownload: (entry: Entry) => void;
  onShare: (entry: Entry) => void;
  onDelete: (entry: Entry) => void;
}) {
  return (
    <div class="table-wrap table-contain">
      <table class="table table-middle" aria-label="Files">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Size</th>
            <th scope="col">Type</th>
            <th scope="col">Updated</th>
            <th scope="col"><span class="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          <For each={props.entries}>
            {(entry) => (
              <tr>
                <td class="file-name">
                  <Show
                    when={entry.kind === 'folder'}
                    fallback={<span><FileIcon folder={false} />{entry.name}</span>}
                  >
                    <A href={folderHref(props.projectRef, props.bucket, entry.path)}>
                      <FileIcon folder />
                      {entry.name}
                    </A>
                  </Show>
                  <Show when={props.errors[entry.path]}>
                    <p class="field-error" role="alert">{props.errors[entry.path]}</p>
                  </Show>
                </td>
                <td class="nowrap">{entry.kind === 'file' ? formatBytes(entry.size ?? 0) : '—'}</td>
                <td>{entry.kind === 'file' ? entry.mimeType ?? '—' : 'Folder'}</td>
                <td>{entry.kind === 'file' ? formatDate(entry.updatedAt) : '—'}</td>
                <td class="actions">
                  <Show when={entry.kind === 'file'}>
                    <Button variant="ghost" onClick={() => props.onDownload(entry)} aria-label={`Download ${entry.name}`}>Download</Button>
                    <Button variant="ghost" onClick={() => props.onShare(entry)} aria-label={`Share ${entry.name}`}>Share</Button>
                  </Show>
                  <Show when={props.writer}>
                    <Button variant="ghost" onClick={() => props.onDelete(entry)} aria-label={`Delete ${entry.name}`}>Delete</Button>
                  </Show>
                </td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </div>
  );
}

/**
 * Uploads into a folder: each file gets a signed upload URL from the control API and is PUT there, with its progress
 * and, when refused (over quota, too large, a type the bucket does not take), the reason beside its name.
 */
import { useClient } from '@urql/solid';
import { For, Show } from 'solid-js';
import { createStore, produce } from 'solid-js/store';
import { Button } from '../../../ui/button.tsx';
import { formatBytes } from '../../../ui/misc.tsx';
import { type BucketDetails, mimeAllowed, signedUrl } from './scope.ts';
import { putFile, uploadErrorMessage } from './upload.ts';

interface Upload {
  id: number;
  name: string;
  path: string;
  size: number;
  progress: number;
  state: 'uploading' | 'done' | 'failed';
  error?: string;
  abort?: () => void;
}

let nextId = 1;

/** Checks a file against the bucket's limits before sending it (the storage API checks again). */
function refusal(file: File, details: BucketDetails | undefined): string | undefined {
  if (!details) return undefined;
  if (details.file_size_limit && file.size > details.file_size_limit) {
    return `Larger than the bucket's file size limit (${formatBytes(details.file_size_limit)}).`;
  }
  if (!mimeAllowed(file.type, details.allowed_mime_types)) {
    return `This bucket takes only ${details.allowed_mime_types!.join(', ')}; this file is ${file.type || 'of an unknown type'}.`;
  }
  return undefined;
}

export function createUploads(options: { projectId: () => string; bucket: () => string; details: () => BucketDetails | undefined; onUploaded: () => void }) {
  const client = useClient();
  const [uploads, setUploads] = createStore<Upload[]>([]);
  const update = (id: number, patch: Partial<Upload>) => setUploads((upload) => upload.id === id, patch);
  // A store's root array is merged, not replaced, by a plain set: remove in place.
  const remove = (id: number) =>
    setUploads(produce((all) => {
      const index = all.findIndex((upload) => upload.id === id);
      if (index >= 0) all.splice(index, 1);
    }));

  const uploadOne = async (file: Blob & { name: string }, path: string, silent = false) => {
    const id = nextId++;
    if (!silent) setUploads(uploads.length, { id, name: file.name, path, size: file.size, progress: 0, state: 'uploading' });
    const fail = (error: string) => {
      if (!silent) update(id, { state: 'failed', error, abort: undefined });
      return error;
    };
    const refused = file instanceof File ? refusal(file, options.details()) : undefined;
    if (refused) return fail(refused);
    try {
      const url = await signedUrl(client, { projectId: options.projectId(), bucket: options.bucket(), path, upload: true });
      const handle = putFile(url, file, (progress) => !silent && update(id, { progress }));
      if (!silent) update(id, { abort: handle.abort });
      await handle.done;
    } catch (error) {
      return fail(uploadErrorMessage(error));
    }
    if (!silent) {
      update(id, { state: 'done', progress: 1, abort: undefined });
      // A finished upload shows in the list of files; its line here goes a moment later.
      setTimeout(() => remove(id), 2500);
    }
    options.onUploaded();
    return undefined;
  };

  return {
    uploads,
    /** Uploads files into the folder `prefix`, all at once. */
    start: (files: File[], prefix: string) => Promise.all(files.map((file) => uploadOne(file, `${prefix}${file.name}`))),
    /** Stores one object without a line in the list (a folder's placeholder); answers the error, if any. */
    quiet: (blob: Blob & { name: string }, path: string) => uploadOne(blob, path, true),
    dismiss: remove,
  };
}

export function UploadList(props: { uploads: Upload[]; onDismiss: (id: number) => void }) {
  return (
    <Show when={props.uploads.length > 0}>
      <ul class="uploads" aria-label="Uploads">
        <For each={props.uploads}>
          {(upload) => (
            <li class="upload" classList={{ 'upload-failed': upload.state === 'failed' }}>
              <div class="upload-head">
                <span class="upload-name">{upload.name}</span>
                <span class="muted">{formatBytes(upload.size)}</span>
                <Show when={upload.state === 'uploading'}>
                  <span class="muted" aria-hidden="true">{Math.round(upload.progress * 100)}%</span>
                  <Button variant="ghost" onClick={() => upload.abort?.()} aria-label={`Cancel uploading ${upload.name}`} disabled={!upload.abort}>
                    Cancel
                  </Button>
                </Show>
                <Show when={upload.state === 'done'}>
                  <span class="upload-done" role="status">Uploaded</span>
                </Show>
                <Show when={upload.state === 'failed'}>
                  <Button variant="ghost" onClick={() => props.onDismiss(upload.id)} aria-label={`Dismiss ${upload.name}`}>
                    Dismiss
                  </Button>
                </Show>
              </div>
              <Show when={upload.state !== 'failed'}>
                <progress max={1} value={upload.progress} aria-label={`Uploading ${upload.name}`} />
              </Show>
              <Show when={upload.error}>
                <p class="field-error" role="alert">
                  {upload.name} was not uploaded: {upload.error}
                </p>
              </Show>
            </li>
          )}
        </For>
      </ul>
    </Show>
  );
}

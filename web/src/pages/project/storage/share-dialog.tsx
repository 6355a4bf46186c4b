/** A signed URL for one file, valid for a chosen time; and a public bucket's plain URL. An image shows a preview. */
import { useClient } from '@urql/solid';
import { createResource, createSignal, Show } from 'solid-js';
import { Button } from '../../../ui/button.tsx';
import { Dialog } from '../../../ui/dialog.tsx';
import { FormError, Select } from '../../../ui/field.tsx';
import { CopyButton } from '../../../ui/misc.tsx';
import { encodeObjectPath } from '../../../project-api.ts';
import { signedUrl } from './scope.ts';

/** The images the storage API transforms (server/src/projects/storage/images.ts), so can preview. */
const PREVIEWABLE = /^image\/(jpeg|png|webp|gif|tiff|avif)$/;

const EXPIRIES = [
  { value: '3600', label: '1 hour' },
  { value: '86400', label: '1 day' },
  { value: '604800', label: '1 week' },
];

export function ShareDialog(props: {
  projectId: string;
  projectRef: string;
  bucket: string;
  public: boolean;
  path?: string;
  mimeType?: string | null;
  onClose: () => void;
}) {
  const client = useClient();
  // A preview fitted within 480 × 320, signed like a download; none if it cannot be made or does not load. Shown only
  // for the file it was made for: a resource keeps its last value while the next loads, or after the dialog closes.
  const [preview] = createResource(
    () => (props.path && PREVIEWABLE.test(props.mimeType ?? '') ? props.path : undefined),
    async (path) => {
      const src = await signedUrl(client, { projectId: props.projectId, bucket: props.bucket, path, width: 480, height: 320 }).catch(() => undefined);
      return { path, src };
    },
  );
  const [unloadable, setUnloadable] = createSignal<string>();
  const previewSrc = () => {
    const current = preview();
    if (!current || current.path !== props.path || current.path === unloadable()) return undefined;
    return current.src;
  };
  const [expiry, setExpiry] = createSignal('3600');
  const [url, setUrl] = createSignal<string>();
  const [error, setError] = createSignal<string>();
  const [pending, setPending] = createSignal(false);
  const close = () => {
    setUrl(undefined);
    setError(undefined);
    props.onClose();
  };
  const create = async (event: SubmitEvent) => {
    event.preventDefault();
    setPending(true);
    setError(undefined);
    try {
      setUrl(await signedUrl(client, { projectId: props.projectId, bucket: props.bucket, path: props.path!, expiresIn: Number(expiry()) }));
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setPending(false);
    }
  };
  const publicUrl = () =>
    `${location.origin}/p/${props.projectRef}/storage/v1/object/public/${encodeURIComponent(props.bucket)}/${encodeObjectPath(props.path ?? '')}`;
  return (
    <Dialog open={!!props.path} title="Share a file" onClose={close}>
      <p class="muted" style={{ 'margin-bottom': '12px', 'overflow-wrap': 'anywhere' }}>{props.path}</p>
      <Show when={previewSrc()}>
        {(src) => <img class="share-preview" src={src()} alt={`Preview of ${props.path}`} onError={() => setUnloadable(props.path)} />}
      </Show>
      <Show when={props.public}>
        <div class="field">
          <span class="field-label">Public URL (this bucket is public)</span>
          <div class="value">
            <code>{publicUrl()}</code>
            <CopyButton value={publicUrl()} label="Copy public URL" />
          </div>
        </div>
      </Show>
      <form onSubmit={create} novalidate>
        <div class="field-row" style={{ 'align-items': 'flex-end' }}>
          <Select label="Expires in" value={expiry()} onValue={(value) => { setExpiry(value); setUrl(undefined); }} options={EXPIRIES} />
          <Button type="submit" pending={pending()} style={{ 'margin-bottom': '12px' }}>Create signed URL</Button>
        </div>
        <FormError message={error()} />
      </form>
      <Show when={url()}>
        {(value) => (
          <div class="field">
            <span class="field-label">Signed URL</span>
            <div class="value">
              <code aria-label="Signed URL">{value()}</code>
              <CopyButton value={value()} label="Copy signed URL" />
            </div>
          </div>
        )}
      </Show>
      <div class="dialog-actions">
        <Button onClick={close}>Done</Button>
      </div>
    </Dialog>
  );
}

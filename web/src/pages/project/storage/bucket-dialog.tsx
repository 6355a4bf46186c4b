/**
 * Creating or editing a bucket, through the project's storage API as its service role (storage-js's body:
 * `{ id, name, public, file_size_limit, allowed_mime_types }`). Editing first reads the bucket's current limits.
 */
import { createEffect, createSignal, createUniqueId, For, on, Show } from 'solid-js';
import { Button } from '../../../ui/button.tsx';
import { Dialog } from '../../../ui/dialog.tsx';
import { Checkbox, Field, FormError } from '../../../ui/field.tsx';
import { Loading } from '../../../ui/states.tsx';
import { ProjectApiError } from '../../../project-api.ts';
import { type BucketDetails, bucketNameError, type StorageApi } from './scope.ts';

const UNITS = [
  { value: '1024', label: 'KB' },
  { value: String(1024 ** 2), label: 'MB' },
  { value: String(1024 ** 3), label: 'GB' },
];
const MIME = /^[a-z0-9!#$&^_.+-]+\/(\*|[a-z0-9!#$&^_.+-]+)$/i;

interface Errors {
  name?: string;
  limit?: string;
  mime?: string;
  form?: string;
}

/** A limit in bytes as a number and the largest unit that holds it whole. */
function limitParts(bytes: number | null): { amount: string; unit: string } {
  if (!bytes) return { amount: '', unit: UNITS[1]!.value };
  const unit = [...UNITS].reverse().find((u) => bytes % Number(u.value) === 0);
  return unit ? { amount: String(bytes / Number(unit.value)), unit: unit.value } : { amount: String(bytes / 1024), unit: UNITS[0]!.value };
}

export function BucketDialog(props: {
  /** The bucket being edited; undefined to create one. */
  bucket: string | undefined;
  open: boolean;
  api: StorageApi;
  onClose: () => void;
  onSaved: (name: string) => void;
}) {
  const [name, setName] = createSignal('');
  const [isPublic, setPublic] = createSignal(false);
  const [amount, setAmount] = createSignal('');
  const [unit, setUnit] = createSignal(UNITS[1]!.value);
  const [mime, setMime] = createSignal('');
  const [errors, setErrors] = createSignal<Errors>({});
  const [loading, setLoading] = createSignal(false);
  const [pending, setPending] = createSignal(false);
  const editing = () => props.bucket !== undefined;

  const fill = (details: BucketDetails | undefined) => {
    const limit = limitParts(details?.file_size_limit ?? null);
    setName(details?.id ?? '');
    setPublic(details?.public ?? false);
    setAmount(limit.amount);
    setUnit(limit.unit);
    setMime(details?.allowed_mime_types?.join(', ') ?? '');
    setErrors({});
  };

  createEffect(on(() => [props.open, props.bucket] as const, async ([open, bucket]) => {
    if (!open) return;
    fill(undefined);
    if (bucket === undefined) return;
    setName(bucket);
    setLoading(true);
    try {
      fill(await props.api.call<BucketDetails>(`/bucket/${encodeURIComponent(bucket)}`));
    } catch (error) {
      setErrors({ form: (error as Error).message });
    } finally {
      setLoading(false);
    }
  }));

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const found: Errors = {};
    if (!editing()) found.name = bucketNameError(name());
    const size = amount().trim();
    if (size && (!/^\d+(\.\d+)?$/.test(size) || Number(size) <= 0)) found.limit = 'The limit is a positive number; leave it empty for none';
    const types = mime().split(/[\s,]+/).filter(Boolean);
    const wrongType = types.find((type) => !MIME.test(type));
    if (wrongType) found.mime = `“${wrongType}” is not a MIME type such as image/png or image/*`;
    else if (types.length > 100) found.mime = 'At most 100 MIME types';
    setErrors(found);
    if (found.name || found.limit || found.mime) return;
    const body = {
      public: isPublic(),
      file_size_limit: size ? Math.floor(Number(size) * Number(unit())) : null,
      allowed_mime_types: types.length ? types : null,
    };
    setPending(true);
    try {
      if (editing()) await props.api.call(`/bucket/${encodeURIComponent(props.bucket!)}`, { method: 'PUT', body });
      else await props.api.call('/bucket', { method: 'POST', body: { id: name(), name: name(), ...body } });
      props.onSaved(name());
      props.onClose();
    } catch (error) {
      const message = (error as Error).message;
      if (error instanceof ProjectApiError && error.code === 'duplicate') setErrors({ name: 'A bucket with this name already exists' });
      else if (/bucket name/i.test(message)) setErrors({ name: message });
      else if (/file size limit/i.test(message)) setErrors({ limit: message });
      else if (/MIME/i.test(message)) setErrors({ mime: message });
      else setErrors({ form: message });
    } finally {
      setPending(false);
    }
  };

  return (
    <Dialog open={props.open} title={editing() ? `Edit bucket ${props.bucket}` : 'New bucket'} onClose={props.onClose}>
      <Show when={!loading()} fallback={<Loading label="Loading the bucket…" />}>
        <form onSubmit={submit} novalidate>
          <Show when={!editing()}>
            <Field
              label="Bucket name"
              value={name()}
              onValue={setName}
              error={errors().name}
              hint="Letters, digits, dots, dashes and underscores; it cannot be changed later."
              autocomplete="off"
              autofocus
            />
          </Show>
          <Checkbox label="Public bucket" checked={isPublic()} onChange={setPublic} />
          <p class="field-hint" style={{ margin: '-8px 0 12px' }}>
            Anyone with a file's URL can download it, without a key. Uploads and deletes still need one.
          </p>
          <div class="field-row">
            <Field
              label="File size limit"
              type="number"
              inputmode="decimal"
              min={0}
              value={amount()}
              onValue={setAmount}
              error={errors().limit}
              hint="Empty: no limit but the platform's."
            />
            <UnitSelect value={unit()} onValue={setUnit} />
          </div>
          <Field
            label="Allowed MIME types"
            value={mime()}
            onValue={setMime}
            error={errors().mime}
            placeholder="image/png, image/*"
            hint="Separated by commas. Empty: any type."
            autocomplete="off"
          />
          <FormError message={errors().form} />
          <div class="dialog-actions">
            <Button onClick={props.onClose}>Cancel</Button>
            <Button type="submit" variant="primary" pending={pending()}>{editing() ? 'Save bucket' : 'Create bucket'}</Button>
          </div>
        </form>
      </Show>
    </Dialog>
  );
}

/**
 * The limit's unit. The shared Select sets the <select>'s value before its options exist, so a first value that is
 * not the first option shows wrong; here each option says whether it is selected.
 */
function UnitSelect(props: { value: string; onValue: (value: string) => void }) {
  const id = createUniqueId();
  return (
    <div class="field" style={{ flex: '0 0 auto', 'min-width': '80px' }}>
      <label for={id}>Unit</label>
      <select id={id} onChange={(event) => props.onValue(event.currentTarget.value)}>
        <For each={UNITS}>{(unit) => <option value={unit.value} selected={unit.value === props.value}>{unit.label}</option>}</For>
      </select>
    </div>
  );
}

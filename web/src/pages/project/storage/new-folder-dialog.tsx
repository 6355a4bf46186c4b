/** "New folder": a name; the folder is made by storing an empty placeholder in it, as Supabase's dashboard does. */
import { createSignal } from 'solid-js';
import { Button } from '../../../ui/button.tsx';
import { Dialog } from '../../../ui/dialog.tsx';
import { Field } from '../../../ui/field.tsx';
import { segmentError } from './scope.ts';

export function NewFolderDialog(props: { open: boolean; onCreate: (name: string) => Promise<string | undefined>; onClose: () => void }) {
  const [name, setName] = createSignal('');
  const [error, setError] = createSignal<string>();
  const [pending, setPending] = createSignal(false);
  const close = () => {
    setName('');
    setError(undefined);
    props.onClose();
  };
  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const problem = segmentError(name().trim());
    setError(problem);
    if (problem) return;
    setPending(true);
    const failure = await props.onCreate(name().trim());
    setPending(false);
    if (failure) setError(failure);
    else close();
  };
  return (
    <Dialog open={props.open} title="New folder" onClose={close}>
      <form onSubmit={submit} novalidate>
        <Field label="Folder name" value={name()} onValue={setName} error={error()} autocomplete="off" autofocus />
        <div class="dialog-actions">
          <Button onClick={close}>Cancel</Button>
          <Button type="submit" variant="primary" pending={pending()}>Create folder</Button>
        </div>
      </form>
    </Dialog>
  );
}

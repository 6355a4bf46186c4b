/**
 * Dialogs on the native <dialog> element: the browser traps focus, closes on Escape and makes the page behind inert.
 */
import { createEffect, createSignal, Show, type JSX, type ParentProps } from 'solid-js';
import { Button } from './button.tsx';
import { Field, FormError } from './field.tsx';

interface DialogProps extends ParentProps {
  open: boolean;
  title: string;
  onClose: () => void;
}

export function Dialog(props: DialogProps) {
  let element!: HTMLDialogElement;
  createEffect(() => {
    if (props.open && !element.open) element.showModal();
    if (!props.open && element.open) element.close();
  });
  return (
    <dialog ref={element} class="dialog" aria-label={props.title} onClose={() => props.onClose()}>
      <Show when={props.open}>
        <h2>{props.title}</h2>
        {props.children}
      </Show>
    </dialog>
  );
}

interface ConfirmProps {
  open: boolean;
  title: string;
  children: JSX.Element;
  /** The button's words: "Delete project", "Rotate keys". */
  action: string;
  /** When set, the action waits until this is typed (a name or slug) for what cannot be undone. */
  typeToConfirm?: string;
  onConfirm: () => Promise<string | undefined | void>;
  onClose: () => void;
}

/** Asks before a destructive action; shows the action's error in the dialog and closes only when it succeeded. */
export function ConfirmDialog(props: ConfirmProps) {
  const [typed, setTyped] = createSignal('');
  const [pending, setPending] = createSignal(false);
  const [error, setError] = createSignal<string>();
  const close = () => {
    setTyped('');
    setError(undefined);
    props.onClose();
  };
  const confirm = async (event: SubmitEvent) => {
    event.preventDefault();
    setPending(true);
    const failure = await props.onConfirm();
    setPending(false);
    if (failure) setError(failure);
    else close();
  };
  return (
    <Dialog open={props.open} title={props.title} onClose={close}>
      <form onSubmit={confirm}>
        <div class="dialog-body">{props.children}</div>
        <Show when={props.typeToConfirm}>
          <Field label={`Type ${props.typeToConfirm} to confirm`} value={typed()} onValue={setTyped} autocomplete="off" />
        </Show>
        <FormError message={error()} />
        <div class="dialog-actions">
          <Button onClick={close}>Cancel</Button>
          <Button
            type="submit"
            variant="danger"
            pending={pending()}
            disabled={!!props.typeToConfirm && typed() !== props.typeToConfirm}
          >
            {props.action}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

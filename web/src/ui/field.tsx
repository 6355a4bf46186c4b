import { createUniqueId, Show, splitProps, type JSX } from 'solid-js';

type FieldProps = JSX.InputHTMLAttributes<HTMLInputElement> & {
  label: string;
  /** Said under the input, and tied to it for screen readers. */
  error?: string;
  hint?: string;
  onValue?: (value: string) => void;
};

/** A labelled input whose error is said beside it. */
export function Field(props: FieldProps) {
  const [own, rest] = splitProps(props, ['label', 'error', 'hint', 'onValue', 'id', 'class']);
  const id = own.id ?? createUniqueId();
  return (
    <div class={`field ${own.class ?? ''}`}>
      <label for={id}>{own.label}</label>
      <input
        id={id}
        aria-invalid={own.error ? 'true' : undefined}
        aria-describedby={own.error ? `${id}-error` : own.hint ? `${id}-hint` : undefined}
        onInput={(event) => own.onValue?.(event.currentTarget.value)}
        {...rest}
      />
      <Show when={own.hint && !own.error}>
        <p class="field-hint" id={`${id}-hint`}>{own.hint}</p>
      </Show>
      <Show when={own.error}>
        <p class="field-error" id={`${id}-error`} role="alert">{own.error}</p>
      </Show>
    </div>
  );
}

type SelectProps = JSX.SelectHTMLAttributes<HTMLSelectElement> & {
  label: string;
  options: { value: string; label: string }[];
  error?: string;
  onValue?: (value: string) => void;
};

export function Select(props: SelectProps) {
  const [own, rest] = splitProps(props, ['label', 'options', 'error', 'onValue', 'id']);
  const id = own.id ?? createUniqueId();
  return (
    <div class="field">
      <label for={id}>{own.label}</label>
      <select id={id} onChange={(event) => own.onValue?.(event.currentTarget.value)} {...rest}>
        {own.options.map((option) => (
          <option value={option.value}>{option.label}</option>
        ))}
      </select>
      <Show when={own.error}>
        <p class="field-error" role="alert">{own.error}</p>
      </Show>
    </div>
  );
}

/** The error of a whole form (what the server said), beside its submit button. */
export function FormError(props: { message?: string }) {
  return (
    <Show when={props.message}>
      <p class="form-error" role="alert">{props.message}</p>
    </Show>
  );
}

type TextAreaProps = JSX.TextareaHTMLAttributes<HTMLTextAreaElement> & {
  label: string;
  error?: string;
  hint?: string;
  onValue?: (value: string) => void;
};

export function TextArea(props: TextAreaProps) {
  const [own, rest] = splitProps(props, ['label', 'error', 'hint', 'onValue', 'id']);
  const id = own.id ?? createUniqueId();
  return (
    <div class="field">
      <label for={id}>{own.label}</label>
      <textarea
        id={id}
        aria-invalid={own.error ? 'true' : undefined}
        aria-describedby={own.error ? `${id}-error` : own.hint ? `${id}-hint` : undefined}
        onInput={(event) => own.onValue?.(event.currentTarget.value)}
        {...rest}
      />
      <Show when={own.hint && !own.error}>
        <p class="field-hint" id={`${id}-hint`}>{own.hint}</p>
      </Show>
      <Show when={own.error}>
        <p class="field-error" id={`${id}-error`} role="alert">{own.error}</p>
      </Show>
    </div>
  );
}

export function Checkbox(props: { label: string; checked: boolean; onChange: (checked: boolean) => void; disabled?: boolean; hint?: string }) {
  const id = createUniqueId();
  return (
    <div class="checkbox">
      <input id={id} type="checkbox" checked={props.checked} disabled={props.disabled} onChange={(event) => props.onChange(event.currentTarget.checked)} />
      <label for={id}>{props.label}</label>
      <Show when={props.hint}>
        <span class="field-hint">{props.hint}</span>
      </Show>
    </div>
  );
}

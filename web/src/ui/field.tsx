import { createUniqueId, Show, splitProps, untrack, type JSX } from 'solid-js';

type Labelled = { label: string; error?: string; hint?: string; onValue?: (value: string) => void };

/** A label, a control and its hint or error, tied together for screen readers. */
function Frame(props: { id: string; label: string; error?: string; hint?: string; control: (aria: JSX.AriaAttributes) => JSX.Element }) {
  // Getters, so the control is made once and only its attributes follow the error.
  const aria: JSX.AriaAttributes = {
    get 'aria-invalid'() {
      return props.error ? 'true' : undefined;
    },
    get 'aria-describedby'() {
      return props.error ? `${props.id}-error` : props.hint ? `${props.id}-hint` : undefined;
    },
  };
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {untrack(() => props.control(aria))}
      <Show when={props.hint && !props.error}>
        <p class="field-hint" id={`${props.id}-hint`}>{props.hint}</p>
      </Show>
      <Show when={props.error}>
        <p class="field-error" id={`${props.id}-error`} role="alert">{props.error}</p>
      </Show>
    </div>
  );
}

/** A labelled input whose error is said beside it. */
export function Field(props: JSX.InputHTMLAttributes<HTMLInputElement> & Labelled) {
  const [own, rest] = splitProps(props, ['label', 'error', 'hint', 'onValue', 'id']);
  const id = own.id ?? createUniqueId();
  return (
    <Frame id={id} label={own.label} error={own.error} hint={own.hint}
      control={(aria) => <input id={id} {...aria} onInput={(event) => own.onValue?.(event.currentTarget.value)} {...rest} />}
    />
  );
}

export function Select(
  props: JSX.SelectHTMLAttributes<HTMLSelectElement> & Labelled & { options: { value: string; label: string }[] },
) {
  const [own, rest] = splitProps(props, ['label', 'options', 'error', 'hint', 'onValue', 'id']);
  const id = own.id ?? createUniqueId();
  return (
    <Frame id={id} label={own.label} error={own.error} hint={own.hint}
      control={(aria) => (
        <select id={id} {...aria} onChange={(event) => own.onValue?.(event.currentTarget.value)} {...rest}>
          {/* `selected` on the option: a select's own value is set before its options exist, and would be lost. */}
          {own.options.map((option) => (
            <option value={option.value} selected={option.value === rest.value}>{option.label}</option>
          ))}
        </select>
      )}
    />
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

export function TextArea(props: JSX.TextareaHTMLAttributes<HTMLTextAreaElement> & Labelled) {
  const [own, rest] = splitProps(props, ['label', 'error', 'hint', 'onValue', 'id']);
  const id = own.id ?? createUniqueId();
  return (
    <Frame id={id} label={own.label} error={own.error} hint={own.hint}
      control={(aria) => <textarea id={id} {...aria} onInput={(event) => own.onValue?.(event.currentTarget.value)} {...rest} />}
    />
  );
}

export function Checkbox(props: { label: string; checked: boolean; onChange: (checked: boolean) => void; disabled?: boolean; hint?: string }) {
  const id = createUniqueId();
  return (
    <div class="checkbox">
      <input
        id={id}
        type="checkbox"
        checked={props.checked}
        disabled={props.disabled}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
        onChange={(event) => props.onChange(event.currentTarget.checked)}
      />
      <div>
        <label for={id}>{props.label}</label>
        <Show when={props.hint}>
          <p class="field-hint" id={`${id}-hint`}>{props.hint}</p>
        </Show>
      </div>
    </div>
  );
}

import { splitProps, type JSX } from 'solid-js';

type ButtonProps = JSX.ButtonHTMLAttributes<HTMLButtonElement> & {
  variant?: 'primary' | 'secondary' | 'danger' | 'ghost';
  /** While true the button is disabled and says it is working. */
  pending?: boolean;
};

export function Button(props: ButtonProps) {
  const [own, rest] = splitProps(props, ['variant', 'pending', 'class', 'children', 'type']);
  return (
    <button
      type={own.type ?? 'button'}
      class={`button button-${own.variant ?? 'secondary'} ${own.class ?? ''}`}
      disabled={own.pending || rest.disabled}
      aria-busy={own.pending ? 'true' : undefined}
      {...rest}
    >
      {own.pending && <span class="spinner" aria-hidden="true" />}
      {own.children}
    </button>
  );
}

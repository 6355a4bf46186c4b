import { createSignal, Show, type JSX, type ParentProps } from 'solid-js';
import { Button } from './button.tsx';

export function PageHeader(props: ParentProps<{ title: string; description?: string }>) {
  return (
    <header class="page-header">
      <div>
        <h1>{props.title}</h1>
        <Show when={props.description}>
          <p class="muted">{props.description}</p>
        </Show>
      </div>
      <div class="page-actions">{props.children}</div>
    </header>
  );
}

export function Section(props: ParentProps<{ title: string; description?: string; actions?: JSX.Element }>) {
  return (
    <section class="section" aria-label={props.title}>
      <div class="section-header">
        <div>
          <h2>{props.title}</h2>
          <Show when={props.description}>
            <p class="muted">{props.description}</p>
          </Show>
        </div>
        {props.actions}
      </div>
      {props.children}
    </section>
  );
}

const TONES: Record<string, string> = {
  active: 'good',
  accepted: 'good',
  provisioning: 'busy',
  pausing: 'busy',
  resuming: 'busy',
  deleting: 'busy',
  pending: 'busy',
  paused: 'quiet',
  expired: 'quiet',
  revoked: 'quiet',
  declined: 'quiet',
  failed: 'bad',
};

/** A status word in a colour that says whether all is well. */
export function Badge(props: { status: string }) {
  const status = () => props.status.toLowerCase();
  return <span class={`badge badge-${TONES[status()] ?? 'quiet'}`}>{status()}</span>;
}

/** Copies a value and says so. */
export function CopyButton(props: { value: string; label?: string }) {
  const [copied, setCopied] = createSignal(false);
  const copy = async () => {
    await navigator.clipboard.writeText(props.value);
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <Button variant="ghost" onClick={copy} aria-label={props.label ?? 'Copy'}>
      {copied() ? 'Copied' : 'Copy'}
    </Button>
  );
}

/** A value with a copy button; `label` names it for screen readers ("API URL"). */
export function Value(props: { value: string; label: string }) {
  return (
    <div class="value">
      <code aria-label={props.label} title={props.value}>{props.value}</code>
      <CopyButton value={props.value} label={`Copy ${props.label}`} />
    </div>
  );
}

/** A secret shown as dots until revealed, copyable either way; its buttons name it ("Reveal JWT secret"). */
export function Secret(props: { value: string; label: string }) {
  const [shown, setShown] = createSignal(false);
  return (
    <div class="value">
      <code aria-label={props.label}>{shown() ? props.value : '•'.repeat(24)}</code>
      <Button variant="ghost" onClick={() => setShown(!shown())} aria-pressed={shown()} aria-label={`${shown() ? 'Hide' : 'Reveal'} ${props.label}`}>
        {shown() ? 'Hide' : 'Reveal'}
      </Button>
      <CopyButton value={props.value} label={`Copy ${props.label}`} />
    </div>
  );
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDate(value: string | null | undefined): string {
  return value ? dateFormat.format(new Date(value)) : '—';
}

export function formatBytes(bytes: number | string | null | undefined): string {
  if (bytes === null || bytes === undefined) return 'unlimited';
  let value = Number(bytes);
  for (const unit of ['B', 'KB', 'MB', 'GB', 'TB']) {
    if (value < 1024 || unit === 'TB') return `${Math.round(value * 10) / 10} ${unit}`;
    value /= 1024;
  }
  return `${value}`;
}

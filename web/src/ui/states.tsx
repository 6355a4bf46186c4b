/** Every page's three other states: loading, nothing yet, and failed (with a way to try again). */
import type { CombinedError } from '@urql/core';
import { Match, Show, Switch, type Accessor, type JSX } from 'solid-js';
import { errorMessage } from '../graphql/client.ts';
import { Button } from './button.tsx';

export function Loading(props: { label?: string }) {
  return (
    <div class="state state-loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" /> {props.label ?? 'Loading…'}
    </div>
  );
}

export function Empty(props: { title: string; children?: JSX.Element }) {
  return (
    <div class="state state-empty">
      <p class="state-title">{props.title}</p>
      {props.children}
    </div>
  );
}

export function ErrorState(props: { message: string; onRetry?: () => void }) {
  return (
    <div class="state state-error" role="alert">
      <p>{props.message}</p>
      <Show when={props.onRetry}>
        <Button onClick={() => props.onRetry?.()}>Try again</Button>
      </Show>
    </div>
  );
}

interface QueryLike<Data> {
  data?: Data;
  error?: CombinedError;
  fetching: boolean;
}

/**
 * Renders a query's data, or its loading or error state; `empty` decides when the data is "nothing yet".
 * Data on screen stays, and keeps its DOM (focus, typed text), while a refresh is under way: `children` gets an
 * accessor, called once.
 */
export function QueryState<Data>(props: {
  result: QueryLike<Data>;
  retry?: () => void;
  empty?: (data: Data) => boolean;
  whenEmpty?: JSX.Element;
  children: (data: Accessor<Data>) => JSX.Element;
}) {
  // The last data seen, not Match's own accessor: that one throws once the data is gone (a deleted project), and a
  // handler finishing after that (the delete's own answer) must still read what it acted on.
  let last: Data | undefined;
  const latest = () => (last = props.result.data ?? last) as Data;
  return (
    <Switch>
      <Match when={props.result.data === undefined && props.result.error}>
        <ErrorState message={errorMessage(props.result.error)!} onRetry={props.retry} />
      </Match>
      <Match when={props.result.data === undefined}>
        <Loading />
      </Match>
      <Match when={props.empty?.(props.result.data as Data)}>{props.whenEmpty}</Match>
      <Match when={props.result.data}>{(_data) => props.children(latest)}</Match>
    </Switch>
  );
}

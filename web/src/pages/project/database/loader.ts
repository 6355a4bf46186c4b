/**
 * Data read with SQL (not a GraphQL query, so no urql cache): loaded whenever its key changes, reloaded on demand.
 * What is on screen stays while a reload runs; an answer that arrives after a newer request started is dropped.
 */
import { createEffect, createMemo, createSignal, on, type Accessor } from 'solid-js';
import { failureMessage, SqlRequestFailure } from './runner.ts';

export interface Loaded<T> {
  data?: T;
  error?: string;
  /** The request was refused (FORBIDDEN, NOT_READY…), as opposed to a Postgres error. */
  code?: string;
  loading: boolean;
}

export function createLoader<T>(key: Accessor<string | undefined>, load: () => Promise<T>) {
  const [state, setState] = createSignal<Loaded<T>>({ loading: true });
  let sequence = 0;
  const reload = async () => {
    const mine = ++sequence;
    setState((previous) => ({ ...previous, loading: true }));
    try {
      const data = await load();
      if (mine === sequence) setState({ data, loading: false });
    } catch (error) {
      if (mine !== sequence) return;
      const code = error instanceof SqlRequestFailure ? error.code : undefined;
      setState({ error: failureMessage(error), code, loading: false });
    }
  };
  // A memo: the key's inputs may change without the key changing.
  createEffect(on(createMemo(key), (current) => current !== undefined && void reload()));
  return { state, reload };
}

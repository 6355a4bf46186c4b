/**
 * Saved queries: private to the person who saved them, per project (app_public.project_sql_queries). The list, and
 * the dialogs that name, rename and delete them.
 */
import { createMutation } from '@urql/solid';
import { createEffect, createSignal, For, on } from 'solid-js';
import { errorMessage } from '../../../graphql/client.ts';
import { createLiveQuery, refreshLiveQueries } from '../../../graphql/live.ts';
import { Button } from '../../../ui/button.tsx';
import { ConfirmDialog, Dialog } from '../../../ui/dialog.tsx';
import { Field, FormError } from '../../../ui/field.tsx';
import { formatDate } from '../../../ui/misc.tsx';
import { QueryState } from '../../../ui/states.tsx';

export interface SavedQuery {
  id: string;
  name: string;
  sql: string;
  updatedAt: string;
}

const SAVED_QUERIES = `query ProjectSqlQueries($projectId: UUID!) {
  projectSqlQueries(condition: { projectId: $projectId }, orderBy: NAME_ASC) { nodes { id name sql updatedAt } }
}`;
const CREATE = `mutation CreateProjectSqlQuery($input: CreateProjectSqlQueryInput!) {
  createProjectSqlQuery(input: $input) { projectSqlQuery { id name sql updatedAt } }
}`;
const UPDATE = `mutation UpdateProjectSqlQuery($input: UpdateProjectSqlQueryInput!) {
  updateProjectSqlQuery(input: $input) { projectSqlQuery { id name sql updatedAt } }
}`;
const DELETE = `mutation DeleteProjectSqlQuery($input: DeleteProjectSqlQueryInput!) {
  deleteProjectSqlQuery(input: $input) { projectSqlQuery { id } }
}`;

/** The server's limits (db/migrations/committed/000016-…): checked here first, so the error is said beside the field. */
export function nameProblem(name: string): string | undefined {
  if (!name.trim()) return 'Give the query a name';
  if (name.trim().length > 100) return 'A name is at most 100 characters';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'A name cannot contain control characters';
  return undefined;
}

export function sqlProblem(sql: string): string | undefined {
  if (!sql.trim()) return 'There is no SQL to save';
  if (new TextEncoder().encode(sql).length > 102_400) return 'A saved query is at most 100 KB of SQL';
  return undefined;
}

export function useSavedQueries(projectId: () => string) {
  const [list, refetch] = createLiveQuery<{ projectSqlQueries: { nodes: SavedQuery[] } }>({
    query: SAVED_QUERIES,
    variables: () => ({ projectId: projectId() }),
  });
  const [, create] = createMutation<{ createProjectSqlQuery: { projectSqlQuery: SavedQuery } }>(CREATE);
  const [, update] = createMutation<{ updateProjectSqlQuery: { projectSqlQuery: SavedQuery } }>(UPDATE);
  const [, remove] = createMutation(DELETE);

  /** Each gives the saved query, or the error in words. */
  return {
    list,
    retry: () => refetch({ requestPolicy: 'network-only' }),
    async create(name: string, sql: string): Promise<SavedQuery | string> {
      const result = await create({ input: { projectSqlQuery: { projectId: projectId(), name: name.trim(), sql } } });
      if (result.error || !result.data) return errorMessage(result.error) ?? 'The query could not be saved';
      refreshLiveQueries();
      return result.data.createProjectSqlQuery.projectSqlQuery;
    },
    async update(id: string, patch: { name?: string; sql?: string }): Promise<SavedQuery | string> {
      const result = await update({ input: { id, patch } });
      if (result.error || !result.data?.updateProjectSqlQuery) return errorMessage(result.error) ?? 'That saved query no longer exists';
      refreshLiveQueries();
      return result.data.updateProjectSqlQuery.projectSqlQuery;
    },
    async remove(id: string): Promise<string | undefined> {
      const result = await remove({ input: { id } });
      if (result.error) return errorMessage(result.error);
      refreshLiveQueries();
      return undefined;
    },
  };
}

export type SavedQueries = ReturnType<typeof useSavedQueries>;

/** The list: open one, rename it, delete it. */
export function SavedQueryList(props: { saved: SavedQueries; openId: string | null; onOpen: (query: SavedQuery) => void; onDeleted: (id: string) => void }) {
  const [renaming, setRenaming] = createSignal<SavedQuery>();
  const [deleting, setDeleting] = createSignal<SavedQuery>();
  return (
    <section class="sql-side-section" aria-labelledby="saved-queries-title">
      <h2 id="saved-queries-title">Saved queries</h2>
      <QueryState
        result={props.saved.list}
        retry={props.saved.retry}
        empty={(data) => data.projectSqlQueries.nodes.length === 0}
        whenEmpty={<p class="muted">None yet. Write a query and choose Save; only you see your saved queries.</p>}
      >
        {(data) => (
          <ul class="sql-list">
            <For each={data().projectSqlQueries.nodes}>
              {(query) => (
                <li classList={{ 'sql-list-current': query.id === props.openId }}>
                  <button
                    type="button"
                    class="sql-list-open"
                    aria-current={query.id === props.openId ? 'true' : undefined}
                    title={`Changed ${formatDate(query.updatedAt)}`}
                    onClick={() => props.onOpen(query)}
                  >
                    {query.name}
                  </button>
                  <Button variant="ghost" class="sql-list-action" aria-label={`Rename ${query.name}`} onClick={() => setRenaming(query)}>
                    Rename
                  </Button>
                  <Button variant="ghost" class="sql-list-action" aria-label={`Delete ${query.name}`} onClick={() => setDeleting(query)}>
                    Delete
                  </Button>
                </li>
              )}
            </For>
          </ul>
        )}
      </QueryState>
      <NameDialog
        open={!!renaming()}
        title="Rename query"
        action="Rename"
        initial={renaming()?.name ?? ''}
        onClose={() => setRenaming(undefined)}
        onSubmit={async (name) => {
          const result = await props.saved.update(renaming()!.id, { name });
          return typeof result === 'string' ? result : undefined;
        }}
      />
      <ConfirmDialog
        open={!!deleting()}
        title="Delete saved query"
        action="Delete query"
        onClose={() => setDeleting(undefined)}
        onConfirm={async () => {
          const id = deleting()!.id;
          const failure = await props.saved.remove(id);
          if (!failure) props.onDeleted(id);
          return failure;
        }}
      >
        <p>
          Delete <strong>{deleting()?.name}</strong>? Its SQL stays in the editor if it is open there.
        </p>
      </ConfirmDialog>
    </section>
  );
}

/** Asks for a name (saving, renaming); closes only once `onSubmit` succeeded. */
export function NameDialog(props: {
  open: boolean;
  title: string;
  action: string;
  initial: string;
  onClose: () => void;
  onSubmit: (name: string) => Promise<string | undefined>;
}) {
  const [name, setName] = createSignal('');
  const [error, setError] = createSignal<string>();
  const [formError, setFormError] = createSignal<string>();
  const [pending, setPending] = createSignal(false);
  // Each opening starts from the current name.
  createEffect(on(() => props.open, (open) => open && setName(props.initial)));
  const close = () => {
    setError(undefined);
    setFormError(undefined);
    props.onClose();
  };
  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const problem = nameProblem(name());
    setError(problem);
    setFormError(undefined);
    if (problem) return;
    setPending(true);
    const failure = await props.onSubmit(name().trim());
    setPending(false);
    if (failure) setFormError(failure);
    else close();
  };
  return (
    <Dialog open={props.open} title={props.title} onClose={close}>
      <form onSubmit={submit} novalidate>
        <Field label="Name" value={name()} onValue={setName} error={error()} autofocus maxLength={100} />
        <FormError message={formError()} />
        <div class="dialog-actions">
          <Button onClick={close}>Cancel</Button>
          <Button type="submit" variant="primary" pending={pending()}>{props.action}</Button>
        </div>
      </form>
    </Dialog>
  );
}

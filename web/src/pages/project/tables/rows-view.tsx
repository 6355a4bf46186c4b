/**
 * One table's rows: a page of 50 at a time, sorted by a column header, filtered; inserted, edited and deleted by
 * primary key (a table without one is shown, not changed).
 */
import { createMemo, createSignal, Show } from 'solid-js';
import { Button } from '../../../ui/button.tsx';
import { ConfirmDialog } from '../../../ui/dialog.tsx';
import { Empty, ErrorState, Loading } from '../../../ui/states.tsx';
import { createLoader } from '../database/loader.ts';
import { ResultsGrid } from '../database/results-grid.tsx';
import { failureMessage, SqlStatementFailure, useSqlRunner, type SqlColumn, type SqlStatementResult } from '../database/runner.ts';
import {
  COLUMNS_SQL,
  deleteQuery,
  insertQuery,
  PAGE_SIZE,
  parseColumns,
  primaryKeyOf,
  rowsQuery,
  updateQuery,
  type FieldValue,
  type Filter,
  type Sort,
  type TableInfo,
} from './catalog.ts';
import { FilterBar } from './filter-bar.tsx';
import { RowDialog, type RowFailure } from './row-dialog.tsx';

interface RowsViewProps {
  schema: string;
  table: TableInfo;
  canWrite: boolean;
  /** Changes whenever the data may have changed elsewhere. */
  revision: number;
}

type Row = Array<string | null>;

const GONE = 'This row no longer exists as it was: someone may have deleted it or changed its key. Refresh to see the table as it is now.';

/** A Postgres error of a write, for the form that caused it. */
function rowFailure(error: unknown): RowFailure {
  if (error instanceof SqlStatementFailure) return { message: error.error.message, detail: [error.error.detail, error.error.hint].filter(Boolean).join(' ') || null };
  return { message: failureMessage(error) };
}

export function RowsView(props: RowsViewProps) {
  const runner = useSqlRunner();
  const [sort, setSort] = createSignal<Sort>();
  const [filter, setFilter] = createSignal<Filter>();
  const [page, setPage] = createSignal(0);
  const [inserting, setInserting] = createSignal(false);
  const [editing, setEditing] = createSignal<Row>();
  const [deleting, setDeleting] = createSignal<Row>();
  const [notice, setNotice] = createSignal<string>();
  /** The key of the row just inserted or changed, to mark it. */
  const [marked, setMarked] = createSignal<string>();

  const columns = createLoader(
    () => `${props.table.name}\u0000${props.revision}`,
    async () => parseColumns(await runner.one(COLUMNS_SQL, [props.schema, props.table.name])),
  );
  const columnList = () => columns.state().data ?? [];
  const key = createMemo(() => primaryKeyOf(columnList()));

  const rows = createLoader(
    () => (columns.state().data ? JSON.stringify([props.revision, columns.state().data, sort(), filter(), page()]) : undefined),
    async () => {
      const query = rowsQuery(props.schema, props.table.name, columnList(), { sort: sort(), filter: filter(), page: page() });
      const result = await runner.one(query.sql, query.params);
      // A page past the end (rows deleted meanwhile): back to the first.
      if (result.rows.length === 0 && page() > 0) setPage(0);
      return result;
    },
  );

  const total = () => Number(rows.state().data?.rows[0]?.[0] ?? 0);
  const gridColumns = (): SqlColumn[] => rows.state().data?.columns.slice(1) ?? [];
  const gridRows = (): Row[] => rows.state().data?.rows.map((row) => row.slice(1)) ?? [];
  const indexOf = (name: string) => gridColumns().findIndex((column) => column.name === name);
  const keyOf = (row: Row): Array<[string, string | null]> => key().map((column) => [column.name, row[indexOf(column.name)] ?? null]);
  const keyWords = (row: Row) => keyOf(row).map(([name, value]) => `${name} = ${value ?? 'NULL'}`).join(', ');
  const record = (row: Row) => Object.fromEntries(gridColumns().map((column, i) => [column.name, row[i] ?? null]));
  const editable = () => props.canWrite && key().length > 0;

  /** The sort on screen: the chosen one, else the primary key's order. */
  const shownSort = (): Sort | undefined => sort() ?? (key().length === 1 ? { column: key()[0].name, direction: 'asc' } : undefined);
  const toggleSort = (name: string) => {
    const current = shownSort();
    setNotice(undefined);
    setSort(current?.column === name && current.direction === 'asc' ? { column: name, direction: 'desc' } : { column: name, direction: 'asc' });
    setPage(0);
  };

  const markFrom = (result: SqlStatementResult) => {
    const row = result.rows[0];
    if (!row) return;
    setMarked(key().map((column) => row[result.columns.findIndex((c) => c.name === column.name)] ?? '').join('\u0000'));
  };
  const isMarked = (row: Row) => key().length > 0 && marked() === keyOf(row).map(([, value]) => value ?? '').join('\u0000');

  const insert = async (values: Array<[string, FieldValue]>) => {
    try {
      const query = insertQuery(props.schema, props.table.name, values);
      const result = await runner.one(query.sql, query.params);
      markFrom(result);
      setNotice(`Row added to ${props.table.name}.`);
      void rows.reload();
      return undefined;
    } catch (error) {
      return rowFailure(error);
    }
  };

  const update = async (row: Row, values: Array<[string, FieldValue]>) => {
    try {
      const query = updateQuery(props.schema, props.table.name, values, keyOf(row));
      const result = await runner.one(query.sql, query.params);
      if (result.rowCount === 0) return { message: GONE };
      markFrom(result);
      setNotice('Row saved.');
      void rows.reload();
      return undefined;
    } catch (error) {
      return rowFailure(error);
    }
  };

  const remove = async (row: Row) => {
    try {
      const query = deleteQuery(props.schema, props.table.name, keyOf(row));
      const result = await runner.one(query.sql, query.params);
      if (result.rowCount === 0) return GONE;
      setNotice('Row deleted.');
      void rows.reload();
      return undefined;
    } catch (error) {
      return rowFailure(error).message;
    }
  };

  const header = (column: SqlColumn) => {
    const direction = () => (shownSort()?.column === column.name ? shownSort()!.direction : undefined);
    return (
      <th scope="col" aria-sort={direction() === 'asc' ? 'ascending' : direction() === 'desc' ? 'descending' : 'none'}>
        <button type="button" class="db-sort" onClick={() => toggleSort(column.name)} title={`Sort by ${column.name}`}>
          <span class="db-column-name">{column.name}</span>
          <span class="db-column-type">{columnList().find((c) => c.name === column.name)?.type ?? column.type}</span>
          <span class="db-sort-arrow" aria-hidden="true">{direction() === 'asc' ? '▲' : direction() === 'desc' ? '▼' : ''}</span>
        </button>
      </th>
    );
  };

  const first = () => page() * PAGE_SIZE + 1;
  const last = () => page() * PAGE_SIZE + gridRows().length;

  return (
    <section class="tables-main" aria-labelledby="table-title">
      <div class="tables-title">
        <div class="row">
          <h2 id="table-title">{props.table.name}</h2>
          <span class={`badge ${props.table.rls ? 'badge-good' : 'badge-busy'}`}>{props.table.rls ? 'RLS enabled' : 'RLS disabled'}</span>
        </div>
        <div class="row">
          <Button onClick={() => {
            void columns.reload();
            void rows.reload();
          }} pending={rows.state().loading && !!rows.state().data}>Refresh</Button>
          <Show when={props.canWrite && columns.state().data}>
            <Button variant="primary" onClick={() => setInserting(true)}>Insert row</Button>
          </Show>
        </div>
      </div>
      <Show when={!props.table.rls}>
        <p class="tables-note">
          Row level security is off: anyone with the project's anon key can read and change every row through the API. Enable it in
          the SQL editor with <code>alter table … enable row level security</code> and add policies.
        </p>
      </Show>
      <Show when={columns.state().data && key().length === 0}>
        <p class="tables-note" role="note">
          This table has no primary key, so its rows are read-only here: they cannot be edited or deleted one by one. Add a primary key in
          the SQL editor to change them.
        </p>
      </Show>
      <Show when={notice()}>
        <p class="muted" role="status">{notice()}</p>
      </Show>
      <Show when={columns.state().error && !columns.state().data}>
        <ErrorState message={columns.state().error!} onRetry={() => void columns.reload()} />
      </Show>
      <Show when={columns.state().data}>
        <FilterBar
          columns={columnList()}
          applied={filter()}
          error={filter() ? rows.state().error : undefined}
          onApply={(next) => {
            setNotice(undefined);
            setFilter(next);
            setPage(0);
          }}
        />
        <Show when={!rows.state().error || filter()} fallback={<ErrorState message={rows.state().error!} onRetry={() => void rows.reload()} />}>
          <Show
            when={rows.state().data}
            fallback={
              <Show when={!rows.state().error} fallback={<p class="muted">Change the filter, or clear it, to see rows.</p>}>
                <Loading label="Loading rows…" />
              </Show>
            }
          >
            <Show
              when={gridRows().length > 0}
              fallback={
                <Empty title={filter() ? 'No rows match the filter' : 'No rows yet'}>
                  <Show when={!filter() && props.canWrite}>
                    <Button onClick={() => setInserting(true)}>Insert the first row</Button>
                  </Show>
                </Empty>
              }
            >
              <ResultsGrid
                label={`Rows of ${props.table.name}`}
                columns={gridColumns()}
                rows={gridRows()}
                header={header}
                display={(value, column) => (column.type === 'bool' && value !== null ? (value === 't' ? 'true' : 'false') : value)}
                rowClass={(row) => (isMarked(row) ? 'db-row-marked' : undefined)}
                actions={
                  editable()
                    ? {
                        title: 'Actions',
                        cell: (row) => (
                          <>
                            <Button variant="ghost" aria-label={`Edit row ${keyWords(row)}`} onClick={() => setEditing(row)}>Edit</Button>
                            <Button variant="ghost" aria-label={`Delete row ${keyWords(row)}`} onClick={() => setDeleting(row)}>Delete</Button>
                          </>
                        ),
                      }
                    : undefined
                }
              />
            </Show>
            <div class="tables-pager" hidden={total() === 0 && page() === 0}>
              <p class="muted" aria-live="polite">
                {gridRows().length > 0 ? `Rows ${first().toLocaleString()}–${last().toLocaleString()} of ${total().toLocaleString()}` : ''}
              </p>
              <div class="row">
                <Button disabled={page() === 0} onClick={() => setPage(page() - 1)}>Previous page</Button>
                <Button disabled={last() >= total()} onClick={() => setPage(page() + 1)}>Next page</Button>
              </div>
            </div>
          </Show>
        </Show>
      </Show>
      <RowDialog
        open={inserting()}
        mode="insert"
        table={props.table.name}
        columns={columnList()}
        onClose={() => setInserting(false)}
        onSubmit={insert}
      />
      <RowDialog
        open={!!editing()}
        mode="edit"
        table={props.table.name}
        columns={columnList()}
        row={editing() ? record(editing()!) : undefined}
        onClose={() => setEditing(undefined)}
        onSubmit={(values) => update(editing()!, values)}
      />
      <ConfirmDialog open={!!deleting()} title="Delete row" action="Delete row" onClose={() => setDeleting(undefined)} onConfirm={() => remove(deleting()!)}>
        <p>
          Delete the row of <strong>{props.table.name}</strong> where {deleting() ? keyWords(deleting()!) : ''}? This cannot be undone.
        </p>
      </ConfirmDialog>
    </section>
  );
}

/** The admin lists: a table of what was loaded, narrowed by a search box as you type, with room for filters. */
import { createMemo, createSignal, For, Show, type JSX } from 'solid-js';
import { errorMessage } from '../../graphql/client.ts';
import { Button } from '../../ui/button.tsx';
import { Field } from '../../ui/field.tsx';
import { PageHeader } from '../../ui/misc.tsx';
import { Empty, QueryState } from '../../ui/states.tsx';
import { createAdminList, type QueryResult } from './live.ts';

export interface Column<Row> {
  header: string;
  cell: (row: Row) => JSX.Element;
  class?: string;
}

interface SearchTableProps<Row> {
  /** What the rows are, plural: "Organizations". Names the table and its search box. */
  label: string;
  rows: Row[];
  columns: Column<Row>[];
  /** The text a search matches against (name, slug, ref, email…). */
  text: (row: Row) => string;
  searchHint: string;
  /** Filters beside the search box. */
  filters?: JSX.Element;
  /** How many were loaded from the server, and how many exist: with more to load, "Show more" loads them. */
  loaded?: number;
  total?: number;
  onShowMore?: () => void;
  loadingMore?: boolean;
}

/** Every word typed must appear somewhere in the row's text. */
export function matches(text: string, search: string): boolean {
  const haystack = text.toLowerCase();
  return search.toLowerCase().split(/\s+/).filter(Boolean).every((word) => haystack.includes(word));
}

export function SearchTable<Row>(props: SearchTableProps<Row>) {
  const [search, setSearch] = createSignal('');
  const shown = createMemo(() => props.rows.filter((row) => matches(props.text(row), search())));
  const noun = () => props.label.toLowerCase();
  const hasMore = () => props.total !== undefined && props.loaded !== undefined && props.total > props.loaded;
  return (
    <div>
      <div class="toolbar">
        <div class="admin-search">
          <Field
            label={`Search ${noun()}`}
            type="search"
            value={search()}
            onValue={setSearch}
            hint={props.searchHint}
            autocomplete="off"
          />
        </div>
        {props.filters}
      </div>
      <p class="muted admin-count" aria-live="polite">
        {shown().length === props.rows.length ? `${props.rows.length}` : `${shown().length} of ${props.rows.length}`} {noun()}
        <Show when={hasMore()}> (the first {props.loaded} of {props.total} loaded; a search looks at those)</Show>
      </p>
      <Show
        when={shown().length > 0}
        fallback={<Empty title={search() ? `No ${noun()} match “${search()}”` : `No ${noun()}`}>{search() ? 'Try fewer or other words.' : undefined}</Empty>}
      >
        <div class="table-wrap">
          <table class="table" aria-label={props.label}>
            <thead>
              <tr>
                <For each={props.columns}>{(column) => <th scope="col" class={column.class}>{column.header}</th>}</For>
              </tr>
            </thead>
            <tbody>
              <For each={shown()}>
                {(row) => (
                  <tr>
                    <For each={props.columns}>{(column) => <td class={column.class}>{column.cell(row)}</td>}</For>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </Show>
      <Show when={props.onShowMore && hasMore()}>
        <div class="row admin-more">
          <Button onClick={() => props.onShowMore?.()} pending={props.loadingMore}>Show more</Button>
        </div>
      </Show>
    </div>
  );
}

/** A refresh that failed while older data is still on screen: said above it, not instead of it. */
export function RefreshError(props: { result: QueryResult<unknown> }) {
  return (
    <Show when={props.result.data !== undefined && props.result.error}>
      <p class="form-error" role="alert">Could not refresh: {errorMessage(props.result.error)}</p>
    </Show>
  );
}

interface AdminListPageProps<Row> extends Omit<SearchTableProps<Row>, 'label' | 'rows' | 'loaded' | 'total' | 'onShowMore' | 'loadingMore'> {
  /** What the rows are, plural ("Organizations"): the page's title, and the table's name. */
  title: string;
  description: string;
  /** The list's query (it takes `$first`), the field of its answer that holds the rows, and how often it is polled. */
  query: string;
  field: string;
  everyMs: number;
  /** The loaded rows as shown (filtered, sorted): as loaded if not given. */
  show?: (rows: Row[]) => Row[];
}

/** A platform-wide list page: a header with Refresh, the list polled (createAdminList), its rows in a SearchTable. */
export function AdminListPage<Row>(props: AdminListPageProps<Row>) {
  type Data = Record<string, { totalCount: number; nodes: Row[] }>;
  const { result, refresh, refreshing, showMore } = createAdminList<Data>(props.query, props.everyMs);
  return (
    <>
      <PageHeader title={props.title} description={props.description}>
        <Button onClick={refresh} pending={refreshing()}>Refresh</Button>
      </PageHeader>
      <RefreshError result={result} />
      <QueryState result={result} retry={refresh}>
        {(data) => (
          <SearchTable
            label={props.title}
            rows={props.show ? props.show(data()[props.field].nodes) : data()[props.field].nodes}
            loaded={data()[props.field].nodes.length}
            total={data()[props.field].totalCount}
            onShowMore={showMore}
            loadingMore={refreshing()}
            text={props.text}
            searchHint={props.searchHint}
            filters={props.filters}
            columns={props.columns}
          />
        )}
      </QueryState>
    </>
  );
}

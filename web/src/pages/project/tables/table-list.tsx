/** The tables of the project's schema, each a link (the selected one is in the URL); a search when there are many. */
import { createSignal, For, Show } from 'solid-js';
import { Button } from '../../../ui/button.tsx';
import type { TableInfo } from './catalog.ts';

export const tableHref = (ref: string, table: string) => `/project/${ref}/tables/${encodeURIComponent(table)}`;

export function TableList(props: { projectRef: string; tables: TableInfo[]; selected?: string; canCreate: boolean; onNew: () => void }) {
  const [search, setSearch] = createSignal('');
  const shown = () => props.tables.filter((table) => table.name.toLowerCase().includes(search().trim().toLowerCase()));
  return (
    <nav class="tables-side" aria-labelledby="tables-list-title">
      <div class="row" style={{ 'justify-content': 'space-between' }}>
        <h2 id="tables-list-title">Tables</h2>
        <Show when={props.canCreate}>
          <Button variant="primary" onClick={props.onNew}>New table</Button>
        </Show>
      </div>
      <Show when={props.tables.length > 8}>
        <div class="field">
          <label for="tables-search" class="visually-hidden">Search tables</label>
          <input id="tables-search" type="search" placeholder="Search tables" value={search()} onInput={(event) => setSearch(event.currentTarget.value)} />
        </div>
      </Show>
      <Show when={props.tables.length > 0} fallback={<p class="muted">No tables yet.</p>}>
        <ul class="tables-list">
          <For each={shown()} fallback={<li class="muted">No table matches.</li>}>
            {(table) => (
              <li>
                <a href={tableHref(props.projectRef, table.name)} aria-current={table.name === props.selected ? 'page' : undefined}>
                  <span>{table.name}</span>
                  <Show when={!table.rls}>
                    <span class="badge badge-busy" title="Row level security is off">RLS off</span>
                  </Show>
                </a>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </nav>
  );
}

/** The rows of one statement as a table: Postgres's text of each value, NULL said as such. */
import { For, Show, type JSX } from 'solid-js';
import type { SqlColumn } from './runner.ts';
import './database.css';

/** One value; long ones are cut on screen and shown whole on hover. */
export function Cell(props: { value: string | null }) {
  return (
    <Show when={props.value !== null} fallback={<span class="db-null">NULL</span>}>
      <span class="db-value" title={props.value!.length > 60 ? props.value! : undefined}>{props.value}</span>
    </Show>
  );
}

interface ResultsGridProps {
  /** The table's accessible name: "Results of statement 1". */
  label: string;
  columns: SqlColumn[];
  rows: Array<Array<string | null>>;
  /** A header cell of its own (e.g. sortable) instead of the plain name and type. */
  header?: (column: SqlColumn, index: number) => JSX.Element;
  /** A last cell per row (actions). */
  actions?: { title: string; cell: (row: Array<string | null>, index: number) => JSX.Element };
  /** How a value is shown (e.g. booleans as true/false); Postgres's text when not given. */
  display?: (value: string | null, column: SqlColumn) => string | null;
  /** A class for some rows (the one just written). */
  rowClass?: (row: Array<string | null>) => string | undefined;
}

export function ResultsGrid(props: ResultsGridProps) {
  return (
    <div class="table-wrap db-grid">
      <table class="table" aria-label={props.label}>
        <thead>
          <tr>
            <For each={props.columns}>
              {(column, index) =>
                props.header?.(column, index()) ?? (
                  <th scope="col">
                    <span class="db-column-name">{column.name}</span> <span class="db-column-type">{column.type}</span>
                  </th>
                )
              }
            </For>
            <Show when={props.actions}>
              <th scope="col">
                <span class="visually-hidden">{props.actions!.title}</span>
              </th>
            </Show>
          </tr>
        </thead>
        <tbody>
          <For each={props.rows}>
            {(row, index) => (
              <tr class={props.rowClass?.(row)}>
                <For each={props.columns}>
                  {(column, i) => (
                    <td>
                      <Cell value={props.display ? props.display(row[i()] ?? null, column) : (row[i()] ?? null)} />
                    </td>
                  )}
                </For>
                <Show when={props.actions}>
                  <td class="actions">{props.actions!.cell(row, index())}</td>
                </Show>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </div>
  );
}

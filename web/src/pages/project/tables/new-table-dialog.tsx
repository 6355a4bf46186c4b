/**
 * Creating a table: its name and columns, the `create table` SQL shown as it is built, and row level security on
 * by default (as in Supabase), since the project's API roles may read and write every table of its schema.
 */
import { createEffect, createMemo, createSignal, For, Index, on, Show } from 'solid-js';
import { createStore, produce } from 'solid-js/store';
import { Button } from '../../../ui/button.tsx';
import { Dialog } from '../../../ui/dialog.tsx';
import { Checkbox, Field, FormError } from '../../../ui/field.tsx';
import { failureMessage, useSqlRunner } from '../database/runner.ts';
import { locate } from '../database/sql.ts';
import {
  COLUMN_TYPES,
  createTableSql,
  DEFAULT_EXAMPLES,
  hasProblems,
  newColumn,
  STARTING_COLUMNS,
  tableProblems,
  type ColumnDraft,
  type TableProblems,
} from './new-table.ts';

interface NewTableProps {
  open: boolean;
  existing: string[];
  onClose: () => void;
  /** After the table exists. */
  onCreated: (name: string) => void;
}

export function NewTableDialog(props: NewTableProps) {
  const runner = useSqlRunner();
  const [name, setName] = createSignal('');
  const [columns, setColumns] = createStore<ColumnDraft[]>(STARTING_COLUMNS());
  const [rls, setRls] = createSignal(true);
  const [problems, setProblems] = createSignal<TableProblems>({ columns: {} });
  const [pending, setPending] = createSignal(false);
  const sql = createMemo(() => createTableSql(name() || 'table_name', columns, rls()));

  createEffect(
    on(
      () => props.open,
      (open) => {
        if (!open) return;
        setName('');
        setColumns(STARTING_COLUMNS());
        setRls(true);
        setProblems({ columns: {} });
      },
    ),
  );

  const update = (index: number, change: Partial<ColumnDraft>) =>
    setColumns(index, (column) => {
      const next = { ...column, ...change };
      // A key column is never NULL; an identity has its own default.
      if (next.primaryKey || next.type === 'identity') next.nullable = false;
      if (next.type === 'identity') next.default = '';
      return next;
    });

  const remove = (index: number) => setColumns(produce((list) => list.splice(index, 1)));

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const found = tableProblems(name(), columns, props.existing);
    setProblems(found);
    if (hasProblems(found)) return;
    setPending(true);
    try {
      const run = await runner.run(sql());
      if (run.error) {
        const words = [run.error.message, run.error.detail, run.error.hint].filter(Boolean).join(' — ');
        // Beside the column whose line Postgres points at (line 1 is `create table`), or that it names; else the form.
        const line = run.error.position ? locate(sql(), run.error.position).line : 0;
        const byLine = line >= 2 && line - 2 < columns.length ? line - 2 : -1;
        const byName = columns.findIndex((c) => run.error!.message.includes(`"${c.name.trim()}"`));
        const column = byLine >= 0 ? byLine : byName;
        const relation = /relation "[^"]+" already exists/.test(run.error.message);
        const where = line ? ` (line ${line} of the SQL)` : '';
        setProblems(relation ? { name: words, columns: {} } : column >= 0 ? { columns: { [column]: words } } : { columns: {}, form: words + where });
        return;
      }
      props.onCreated(name().trim());
      props.onClose();
    } catch (error) {
      setProblems({ columns: {}, form: failureMessage(error) });
    } finally {
      setPending(false);
    }
  };

  return (
    <Dialog open={props.open} title="New table" onClose={props.onClose}>
      <form onSubmit={submit} novalidate>
        <Field
          label="Table name"
          value={name()}
          onValue={setName}
          error={problems().name}
          hint="Names are kept exactly as typed (quoted), e.g. todos or order_items."
          autocomplete="off"
          autofocus
        />
        <fieldset class="columns-editor">
          <legend>Columns</legend>
          <div class="columns-head" aria-hidden="true">
            <span>Name</span>
            <span>Type</span>
            <span>Default</span>
            <span>Nullable</span>
            <span>Primary</span>
            <span />
          </div>
          <Index each={columns}>
            {(column, index) => (
              <ColumnRow
                column={column()}
                number={index + 1}
                error={problems().columns[index]}
                onChange={(change) => update(index, change)}
                onRemove={columns.length > 1 ? () => remove(index) : undefined}
              />
            )}
          </Index>
          <div>
            <Button onClick={() => setColumns(columns.length, newColumn())}>Add column</Button>
          </div>
        </fieldset>
        <Checkbox
          label="Enable Row Level Security"
          checked={rls()}
          onChange={setRls}
        />
        <p class="field-hint" style={{ 'margin-top': '-8px', 'margin-bottom': '12px' }}>
          {rls()
            ? "Recommended. The project's API roles (anon, authenticated) then see and change no rows until you add policies in the SQL editor; the service role sees every row."
            : "Without it, anyone holding the project's anon key can read and change every row of this table through the API."}
        </p>
        <p class="field-hint">SQL to run:</p>
        <pre class="sql-preview" aria-label="SQL to run"><code>{sql()}</code></pre>
        <FormError message={problems().form} />
        <div class="dialog-actions">
          <Button onClick={props.onClose}>Cancel</Button>
          <Button type="submit" variant="primary" pending={pending()}>Create table</Button>
        </div>
      </form>
    </Dialog>
  );
}

function ColumnRow(props: {
  column: ColumnDraft;
  number: number;
  error?: string;
  onChange: (change: Partial<ColumnDraft>) => void;
  onRemove?: () => void;
}) {
  const label = (what: string) => `Column ${props.number} ${what}`;
  const errorId = () => `new-column-${props.number}-error`;
  return (
    <div class="column-row" role="group" aria-labelledby={`new-column-${props.number}-title`}>
      <span id={`new-column-${props.number}-title`} class="visually-hidden">Column {props.number}</span>
      <input
        aria-label={label('name')}
        value={props.column.name}
        placeholder="name"
        autocomplete="off"
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={props.error ? errorId() : undefined}
        onInput={(event) => props.onChange({ name: event.currentTarget.value })}
      />
      <select aria-label={label('type')} onChange={(event) => props.onChange({ type: event.currentTarget.value })}>
        <For each={COLUMN_TYPES}>
          {(type) => <option value={type.value} selected={type.value === props.column.type}>{type.label}</option>}
        </For>
      </select>
      <input
        aria-label={label('default')}
        value={props.column.default}
        placeholder={props.column.type === 'identity' ? 'automatic' : (DEFAULT_EXAMPLES[props.column.type] ?? 'none')}
        disabled={props.column.type === 'identity'}
        autocomplete="off"
        onInput={(event) => props.onChange({ default: event.currentTarget.value })}
      />
      <label class="column-check">
        <input
          type="checkbox"
          aria-label={label('nullable')}
          checked={props.column.nullable}
          disabled={props.column.primaryKey || props.column.type === 'identity'}
          onChange={(event) => props.onChange({ nullable: event.currentTarget.checked })}
        />
        <span class="column-check-label" aria-hidden="true">Nullable</span>
      </label>
      <label class="column-check">
        <input
          type="checkbox"
          aria-label={label('primary key')}
          checked={props.column.primaryKey}
          onChange={(event) => props.onChange({ primaryKey: event.currentTarget.checked })}
        />
        <span class="column-check-label" aria-hidden="true">Primary key</span>
      </label>
      <Show when={props.onRemove} fallback={<span />}>
        <Button variant="ghost" aria-label={`Remove column ${props.number}`} onClick={() => props.onRemove?.()}>
          ✕
        </Button>
      </Show>
      <Show when={props.error}>
        <p class="field-error" id={errorId()} role="alert">{props.error}</p>
      </Show>
    </div>
  );
}

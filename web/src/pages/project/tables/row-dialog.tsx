/**
 * Inserting or editing a row: a form made from the table's columns, one labelled input per column (by its name),
 * typed by the column's type. Inserting, a blank input leaves the column to its default; editing, only what was
 * changed is written. Errors are said beside the column they are about.
 */
import { createEffect, createSignal, For, on, Show } from 'solid-js';
import { createStore } from 'solid-js/store';
import { Button } from '../../../ui/button.tsx';
import { Dialog } from '../../../ui/dialog.tsx';
import { Field, FormError, TextArea } from '../../../ui/field.tsx';
import type { ColumnInfo, FieldValue } from './catalog.ts';
import { columnOfError, inputKind, placeholderOf, valueProblem } from './values.ts';

interface FieldState {
  text: string;
  isNull: boolean;
}

export interface RowFailure {
  message: string;
  detail?: string | null;
}

interface RowDialogProps {
  open: boolean;
  mode: 'insert' | 'edit';
  table: string;
  columns: ColumnInfo[];
  /** The row being edited, by column name. */
  row?: Record<string, string | null>;
  onClose: () => void;
  /** Writes the row; gives Postgres's error, if any. */
  onSubmit: (values: Array<[string, FieldValue]>) => Promise<RowFailure | undefined>;
}

export function RowDialog(props: RowDialogProps) {
  const [fields, setFields] = createStore<Record<string, FieldState>>({});
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [formError, setFormError] = createSignal<string>();
  const [pending, setPending] = createSignal(false);

  const initial = (column: ColumnInfo): FieldState => {
    const value = props.mode === 'edit' ? (props.row?.[column.name] ?? null) : '';
    return { text: value ?? '', isNull: value === null };
  };
  // Each opening starts from the row (or blank).
  createEffect(
    on(
      () => props.open,
      (open) => {
        if (!open) return;
        setFields(Object.fromEntries(props.columns.map((column) => [column.name, initial(column)])));
        setErrors({});
        setFormError(undefined);
      },
    ),
  );

  const writable = () => props.columns.filter((column) => !column.generatedAlways);

  /** The values to send, or the problems found in them. */
  const collect = (): { values: Array<[string, FieldValue]>; problems: Record<string, string> } => {
    const values: Array<[string, FieldValue]> = [];
    const problems: Record<string, string> = {};
    for (const column of writable()) {
      const field = fields[column.name] ?? { text: '', isNull: false };
      if (props.mode === 'edit') {
        const before = initial(column);
        if (field.isNull === before.isNull && (field.isNull || field.text === before.text)) continue;
      }
      if (field.isNull) {
        values.push([column.name, { kind: 'null' }]);
        continue;
      }
      if (props.mode === 'insert' && field.text === '') {
        if (!column.nullable && column.default === null && !column.identity) problems[column.name] = 'Required: this column has no default and cannot be NULL';
        else values.push([column.name, { kind: 'default' }]);
        continue;
      }
      const problem = valueProblem(column, field.text);
      if (problem) problems[column.name] = problem;
      else values.push([column.name, { kind: 'value', text: field.text }]);
    }
    return { values, problems };
  };

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const { values, problems } = collect();
    setErrors(problems);
    setFormError(undefined);
    if (Object.keys(problems).length > 0) return;
    if (props.mode === 'edit' && values.length === 0) {
      setFormError('Nothing was changed.');
      return;
    }
    setPending(true);
    const failure = await props.onSubmit(values);
    setPending(false);
    if (!failure) return props.onClose();
    const texts = Object.fromEntries(props.columns.map((column) => [column.name, fields[column.name]?.text ?? '']));
    const column = columnOfError(failure.message, failure.detail ?? null, texts);
    const words = [failure.message, failure.detail].filter(Boolean).join(' — ');
    if (column) setErrors({ [column]: words });
    else setFormError(words);
  };

  return (
    <Dialog open={props.open} title={props.mode === 'insert' ? `Insert row into ${props.table}` : `Edit row of ${props.table}`} onClose={props.onClose}>
      <form onSubmit={submit} novalidate>
        <div class="row-form">
          <For each={props.columns}>
            {(column) => (
              <ColumnInput
                column={column}
                mode={props.mode}
                state={fields[column.name] ?? { text: '', isNull: false }}
                error={errors()[column.name]}
                onChange={(state) => setFields(column.name, state)}
              />
            )}
          </For>
        </div>
        <FormError message={formError()} />
        <div class="dialog-actions">
          <Button onClick={props.onClose}>Cancel</Button>
          <Button type="submit" variant="primary" pending={pending()}>
            {props.mode === 'insert' ? 'Save row' : 'Save changes'}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

/** What is known about a column, under its input: type, key, default. */
function describe(column: ColumnInfo): string {
  const parts = [column.type];
  if (column.primaryKey) parts.push('primary key');
  if (column.generatedAlways) parts.push(column.identity ? 'identity, set by the database' : 'generated');
  else if (column.identity) parts.push('identity: blank picks the next number');
  else if (column.default !== null) parts.push(`default ${column.default}`);
  if (column.nullable) parts.push('may be NULL');
  return parts.join(' · ');
}

function ColumnInput(props: {
  column: ColumnInfo;
  mode: 'insert' | 'edit';
  state: FieldState;
  error?: string;
  onChange: (state: FieldState) => void;
}) {
  const kind = () => inputKind(props.column);
  const disabled = () => props.column.generatedAlways || props.state.isNull;
  const blankMeans = () =>
    props.mode === 'insert' && (props.column.default !== null || props.column.identity || props.column.nullable)
      ? `Blank: ${props.column.identity ? 'next number' : (props.column.default ?? 'NULL')}`
      : undefined;
  const setText = (text: string) => props.onChange({ text, isNull: false });
  const id = `row-field-${props.column.name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  return (
    <div class="row-form-field">
      <Show when={kind() === 'boolean' || kind() === 'enum'}>
        <div class="field">
          <label for={id}>{props.column.name}</label>
          <select
            id={id}
            disabled={disabled()}
            aria-invalid={props.error ? 'true' : undefined}
            aria-describedby={`${id}-hint`}
            onChange={(event) => setText(event.currentTarget.value)}
          >
            <option value="" selected={props.state.text === ''}>{blankMeans() ?? (props.mode === 'insert' ? 'Choose…' : '(empty)')}</option>
            <For each={kind() === 'boolean' ? ['true', 'false'] : (props.column.enumValues ?? [])}>
              {(option) => <option value={option} selected={normalized(props.state.text) === option}>{option}</option>}
            </For>
          </select>
          <Show when={props.error} fallback={<p class="field-hint" id={`${id}-hint`}>{describe(props.column)}</p>}>
            <p class="field-error" id={`${id}-hint`} role="alert">{props.error}</p>
          </Show>
        </div>
      </Show>
      <Show when={kind() === 'json' || kind() === 'long-text'}>
        <TextArea
          id={id}
          label={props.column.name}
          value={props.state.isNull ? '' : props.state.text}
          onValue={setText}
          disabled={disabled()}
          error={props.error}
          hint={describe(props.column)}
          rows={kind() === 'json' ? 4 : 2}
          class="code"
          placeholder={blankMeans() ?? placeholderOf(props.column)}
        />
      </Show>
      <Show when={kind() === 'number' || kind() === 'text'}>
        <Field
          id={id}
          label={props.column.name}
          value={props.state.isNull ? '' : props.state.text}
          onValue={setText}
          disabled={disabled()}
          error={props.error}
          hint={describe(props.column)}
          inputMode={kind() === 'number' ? 'decimal' : undefined}
          placeholder={blankMeans() ?? placeholderOf(props.column)}
          autocomplete="off"
        />
      </Show>
      <Show when={props.column.nullable && !props.column.generatedAlways}>
        <label class="row-form-null">
          <input type="checkbox" checked={props.state.isNull} onChange={(event) => props.onChange({ text: '', isNull: event.currentTarget.checked })} />
          NULL
        </label>
      </Show>
    </div>
  );
}

/** Postgres writes booleans as t and f. */
const normalized = (text: string) => (text === 't' ? 'true' : text === 'f' ? 'false' : text);

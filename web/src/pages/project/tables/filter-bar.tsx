/** The rows' filter: a column, an operator and a value (sent as a parameter, never written into the SQL). */
import { createSignal, For, Show } from 'solid-js';
import { Button } from '../../../ui/button.tsx';
import { FILTER_OPERATORS, takesValue, type ColumnInfo, type Filter, type FilterOperator } from './catalog.ts';
import { valueProblem } from './values.ts';

interface FilterBarProps {
  columns: ColumnInfo[];
  applied?: Filter;
  /** Postgres's error for the filtered query, said here since the filter caused it. */
  error?: string;
  onApply: (filter: Filter | undefined) => void;
}

export function FilterBar(props: FilterBarProps) {
  const [column, setColumn] = createSignal(props.applied?.column ?? props.columns[0]?.name ?? '');
  const [operator, setOperator] = createSignal<FilterOperator>(props.applied?.operator ?? '=');
  const [value, setValue] = createSignal(props.applied?.value ?? '');
  const [problem, setProblem] = createSignal<string>();

  const apply = (event: SubmitEvent) => {
    event.preventDefault();
    const info = props.columns.find((c) => c.name === column());
    let found: string | undefined;
    if (!info) found = 'Choose a column';
    else if (takesValue(operator()) && operator() !== 'ilike' && value() !== '') found = valueProblem(info, value());
    else if (operator() === 'ilike' && !value()) found = 'Enter the text to look for; % matches any text';
    setProblem(found);
    if (!found) props.onApply({ column: column(), operator: operator(), value: takesValue(operator()) ? value() : '' });
  };

  const clear = () => {
    setValue('');
    setProblem(undefined);
    props.onApply(undefined);
  };

  const shownError = () => problem() ?? props.error;

  return (
    <form class="toolbar tables-filter" role="search" aria-label="Filter rows" onSubmit={apply} novalidate>
      <div class="field">
        <label for="filter-column">Filter column</label>
        <select id="filter-column" onChange={(event) => setColumn(event.currentTarget.value)}>
          <For each={props.columns}>{(c) => <option value={c.name} selected={c.name === column()}>{c.name}</option>}</For>
        </select>
      </div>
      <div class="field">
        <label for="filter-operator">Operator</label>
        <select id="filter-operator" onChange={(event) => setOperator(event.currentTarget.value as FilterOperator)}>
          <For each={FILTER_OPERATORS}>{(o) => <option value={o.value} selected={o.value === operator()}>{o.label}</option>}</For>
        </select>
      </div>
      <Show when={takesValue(operator())}>
        <div class="field">
          <label for="filter-value">Value</label>
          <input
            id="filter-value"
            value={value()}
            autocomplete="off"
            placeholder={operator() === 'ilike' ? '%text%' : ''}
            aria-invalid={shownError() ? 'true' : undefined}
            aria-describedby={shownError() ? 'filter-error' : undefined}
            onInput={(event) => setValue(event.currentTarget.value)}
          />
        </div>
      </Show>
      <Button type="submit">Apply filter</Button>
      <Show when={props.applied}>
        <Button variant="ghost" onClick={clear}>Clear filter</Button>
      </Show>
      <Show when={shownError()}>
        <p class="field-error tables-filter-error" id="filter-error" role="alert">{shownError()}</p>
      </Show>
    </form>
  );
}

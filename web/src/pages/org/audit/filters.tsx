/** The audit log's filters: a kind of action, an actor, a range of days. */
import { Show } from 'solid-js';
import { Button } from '../../../ui/button.tsx';
import { Field, Select } from '../../../ui/field.tsx';
import { ACTION_KINDS, hasFilters, NO_FILTERS, type Filters } from './data.ts';

interface FilterProps {
  filters: Filters;
  onChange: (filters: Filters) => void;
  actors: { id: string; email: string }[];
}

export function AuditFilters(props: FilterProps) {
  const set = (patch: Partial<Filters>) => props.onChange({ ...props.filters, ...patch });
  const rangeError = () =>
    props.filters.from && props.filters.to && props.filters.from > props.filters.to ? 'The end comes before the start' : undefined;
  return (
    <form class="audit-filters" aria-label="Filter the audit log" onSubmit={(event) => event.preventDefault()}>
      <Select
        label="Action"
        value={props.filters.action}
        onValue={(action) => set({ action })}
        options={[{ value: '', label: 'All actions' }, ...ACTION_KINDS]}
      />
      <Select
        label="Actor"
        value={props.filters.actor}
        onValue={(actor) => set({ actor })}
        options={[
          { value: '', label: 'Anyone' },
          ...props.actors.map((actor) => ({ value: actor.id, label: actor.email })),
        ]}
      />
      <Field label="From date" type="date" value={props.filters.from} max={props.filters.to || undefined} onValue={(from) => set({ from })} />
      <Field label="To date" type="date" value={props.filters.to} min={props.filters.from || undefined} onValue={(to) => set({ to })} error={rangeError()} />
      <Show when={hasFilters(props.filters)}>
        <div class="audit-filters-clear">
          <Button variant="ghost" onClick={() => props.onChange(NO_FILTERS)}>Clear filters</Button>
        </div>
      </Show>
    </form>
  );
}

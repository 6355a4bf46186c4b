/** Every plan's limits side by side, the organization's own plan marked. */
import { For, type JSX } from 'solid-js';
import { formatBytes } from '../../../ui/misc.tsx';

export interface Plan {
  id: string;
  name: string;
  maxProjects: number;
  maxDatabaseBytes: string | null;
  maxStorageBytes: string | null;
  apiRequestsPerSecond: number | null;
  sortOrder: number;
}

const LIMITS: { label: string; hint: string; value: (plan: Plan) => JSX.Element }[] = [
  { label: 'Projects', hint: 'per organization', value: (plan) => plan.maxProjects.toLocaleString() },
  { label: 'Database size', hint: 'per project', value: (plan) => formatBytes(plan.maxDatabaseBytes) },
  { label: 'Storage', hint: 'per project', value: (plan) => formatBytes(plan.maxStorageBytes) },
  {
    label: 'API requests per second',
    hint: 'per project, bursts up to twice',
    value: (plan) => (plan.apiRequestsPerSecond === null ? 'unlimited' : plan.apiRequestsPerSecond.toLocaleString()),
  },
];

export function PlanComparison(props: { plans: Plan[]; current: string }) {
  return (
    <div class="table-wrap fit-width">
      <table class="table plan-table">
        <caption class="visually-hidden">Plans compared</caption>
        <thead>
          <tr>
            <th scope="col">Limit</th>
            <For each={props.plans}>
              {(plan) => (
                <th scope="col" class={plan.id === props.current ? 'plan-current' : undefined} aria-current={plan.id === props.current ? 'true' : undefined}>
                  {plan.name}
                  {plan.id === props.current && <span class="badge badge-good plan-badge">current</span>}
                </th>
              )}
            </For>
          </tr>
        </thead>
        <tbody>
          <For each={LIMITS}>
            {(limit) => (
              <tr>
                <th scope="row">
                  <span class="plan-limit">{limit.label}</span>
                  <span class="muted plan-limit-hint">{limit.hint}</span>
                </th>
                <For each={props.plans}>
                  {(plan) => <td class={plan.id === props.current ? 'plan-current' : undefined}>{limit.value(plan)}</td>}
                </For>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </div>
  );
}

/** Audit events as a table: when, who, what, on what, the details as compact JSON, and from where. */
import { For, Show } from 'solid-js';
import { formatDate } from '../../../ui/misc.tsx';
import type { AuditEvent } from './data.ts';

interface TableProps {
  events: AuditEvent[];
  /** A user id's email, when the user is a member now. */
  emailOf: (userId: string) => string | undefined;
}

const LONG_DETAILS = 90;

export function AuditEventTable(props: TableProps) {
  const actor = (event: AuditEvent) => {
    if (!event.actorId) return <span class="muted">Canopy</span>;
    return props.emailOf(event.actorId) ?? <span class="muted" title={event.actorId}>Former member ({event.actorId.slice(0, 8)})</span>;
  };
  const target = (event: AuditEvent) => {
    const name = targetName(event, props.emailOf);
    return (
      <>
        <span class="muted">{event.targetType.replaceAll('_', ' ')}</span>
        <Show when={name || event.targetId}>
          {' '}
          <span class="audit-target-id" title={event.targetId ?? undefined}>{name ?? shortId(event.targetId!)}</span>
        </Show>
      </>
    );
  };
  return (
    <div class="table-wrap fit-width">
      <table class="table audit-table" aria-label="Audit events">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col" class="wide-only">Actor</th>
            <th scope="col" class="wide-only">Action and target</th>
            <th scope="col" class="wide-only">Details</th>
            <th scope="col" class="wide-only">IP</th>
          </tr>
        </thead>
        <tbody>
          <For each={props.events}>
            {(event) => (
              <tr>
                <td class="audit-time">
                  <time datetime={event.occurredAt}>{formatDate(event.occurredAt)}</time>
                  {/* On a phone the whole event is this one cell; CSS shows this copy or the columns. */}
                  <div class="narrow-only audit-narrow">
                    <div>{actor(event)}</div>
                    <code>{event.action}</code>
                    <div>{target(event)}</div>
                    <Details event={event} />
                    <Show when={event.ip}>
                      <span class="muted">from {event.ip}</span>
                    </Show>
                  </div>
                </td>
                <td class="wide-only">{actor(event)}</td>
                <td class="wide-only">
                  <code>{event.action}</code>
                  <div>{target(event)}</div>
                </td>
                <td class="audit-details wide-only">
                  <Details event={event} />
                </td>
                <td class="wide-only">
                  <span title={event.userAgent ?? undefined}>{event.ip ?? '—'}</span>
                </td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </div>
  );
}

const shortId = (id: string) => (id.length > 12 ? `${id.slice(0, 8)}…` : id);

/** The row an event is about, as the details tell it: a member's email, an invitation's email, a name. */
function targetName(event: AuditEvent, emailOf: (userId: string) => string | undefined): string | undefined {
  const details = asObject(event.details);
  const text = (key: string) => (typeof details[key] === 'string' ? (details[key] as string) : undefined);
  const userId = text('user_id');
  return (userId && emailOf(userId)) || (event.targetId && emailOf(event.targetId)) || text('email') || text('name');
}

/** Short details inline, long ones folded behind their beginning; ids the other columns already say are left out. */
function Details(props: { event: AuditEvent }) {
  const json = () => {
    const { id, organization_id, ...rest } = asObject(props.event.details);
    const shown = id !== undefined && String(id) !== props.event.targetId ? { id, ...rest } : rest;
    return JSON.stringify(shown);
  };
  return (
    <Show when={json().length > LONG_DETAILS} fallback={<code>{json() === '{}' ? '—' : json()}</code>}>
      <details>
        <summary>
          <code>{json().slice(0, LONG_DETAILS - 30)}…</code>
        </summary>
        <code class="audit-details-full">{json()}</code>
      </details>
    </Show>
  );
}

// PostGraphile may hand JSON back as a string or as an object, depending on the scalar's settings.
function asObject(value: unknown): Record<string, unknown> {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      return { value };
    }
  }
  return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { value: parsed };
}

/** What a run gave: each statement's result in order, and the error that stopped it, in Postgres's words. */
import { For, Show } from 'solid-js';
import { plural } from '../database/sql.ts';
import { ResultsGrid } from '../database/results-grid.tsx';
import type { SqlError, SqlRun, SqlStatementResult } from '../database/runner.ts';

/** "3 rows", "1 row affected", or nothing for commands without a count. */
function countOf(result: SqlStatementResult): string {
  if (result.rowCount === null) return '';
  if (result.columns.length > 0) return plural(result.rowCount, 'row');
  return `${plural(result.rowCount, 'row')} affected`;
}

function StatementResult(props: { result: SqlStatementResult; number: number }) {
  const title = () => `Statement ${props.number}: ${props.result.command}`;
  return (
    <section class="sql-statement" aria-label={title()}>
      <h3>
        {props.number}. {props.result.command} <span class="muted">{countOf(props.result)}</span>
      </h3>
      <Show when={props.result.truncated}>
        <p class="sql-truncated" role="note">
          Showing the first {plural(props.result.rows.length, 'row')}
          {props.result.rowCount !== null ? ` of ${props.result.rowCount.toLocaleString()}` : ''}: add a LIMIT or a WHERE to see the rest.
        </p>
      </Show>
      <Show
        when={props.result.columns.length > 0}
        fallback={<p class="muted">Done.</p>}
      >
        <Show when={props.result.rows.length > 0} fallback={<p class="muted">No rows.</p>}>
          <ResultsGrid label={`Results of statement ${props.number}`} columns={props.result.columns} rows={props.result.rows} />
        </Show>
      </Show>
    </section>
  );
}

/** The error, with where it happened; `at` is the line and column in the editor's text. */
export function SqlErrorBox(props: { error: SqlError; at?: { line: number; column: number }; after: number }) {
  return (
    <div class="sql-error" role="alert">
      <p class="sql-error-title">
        Error{props.at ? ` at line ${props.at.line}, column ${props.at.column}` : ''} <code>{props.error.code}</code>
      </p>
      <p class="sql-error-message">{props.error.message}</p>
      <Show when={props.error.detail}>
        <p><strong>Detail:</strong> {props.error.detail}</p>
      </Show>
      <Show when={props.error.hint}>
        <p><strong>Hint:</strong> {props.error.hint}</p>
      </Show>
      <Show when={props.after > 0}>
        <p class="muted">
          The {plural(props.after, 'statement')} before it ran, but a run is one transaction: nothing it changed was kept, unless
          it was committed before the error.
        </p>
      </Show>
    </div>
  );
}

export function RunResults(props: { run: SqlRun; at?: { line: number; column: number } }) {
  return (
    <div class="stack">
      <p class="muted" role="status">
        {props.run.error ? 'Failed' : 'Ran'} in {props.run.durationMs.toLocaleString(undefined, { maximumFractionDigits: 1 })} ms
        {props.run.results.length > 1 ? ` · ${plural(props.run.results.length, 'statement')}` : ''}
      </p>
      <For each={props.run.results}>{(result, index) => <StatementResult result={result} number={index() + 1} />}</For>
      <Show when={props.run.error}>
        {(error) => <SqlErrorBox error={error()} at={props.at} after={props.run.results.length} />}
      </Show>
    </div>
  );
}

/** The last runs in this browser: click one to put its SQL back in the editor. */
import { createSignal, For, Show } from 'solid-js';
import { Button } from '../../../ui/button.tsx';
import { ConfirmDialog } from '../../../ui/dialog.tsx';
import { formatDate } from '../../../ui/misc.tsx';
import { HISTORY_SIZE, type HistoryEntry } from './history.ts';

const firstLine = (sql: string) => {
  const line = sql.trim().split('\n')[0];
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
};

export function HistoryList(props: { entries: HistoryEntry[]; onRestore: (entry: HistoryEntry) => void; onClear: () => void }) {
  const [clearing, setClearing] = createSignal(false);
  return (
    <section class="sql-side-section" aria-labelledby="sql-history-title">
      <div class="sql-side-header">
        <h2 id="sql-history-title">History</h2>
        <Show when={props.entries.length > 0}>
          <Button variant="ghost" onClick={() => setClearing(true)}>Clear history</Button>
        </Show>
      </div>
      <Show when={props.entries.length > 0} fallback={<p class="muted">Your last {HISTORY_SIZE} runs appear here, in this browser only.</p>}>
        <ul class="sql-list" aria-label="Recent runs">
          <For each={props.entries}>
            {(entry) => (
              <li>
                <button type="button" class="sql-list-open sql-history-entry" title={entry.sql} onClick={() => props.onRestore(entry)}>
                  <code>{firstLine(entry.sql)}</code>
                  <span class="sql-history-meta" classList={{ 'sql-history-failed': !entry.ok }}>
                    {entry.ok ? '' : 'Failed: '}
                    {entry.summary} · {formatDate(entry.ranAt)}
                  </span>
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <ConfirmDialog
        open={clearing()}
        title="Clear history"
        action="Clear history"
        onClose={() => setClearing(false)}
        onConfirm={async () => props.onClear()}
      >
        <p>Forget the SQL of the last runs in this browser? Saved queries stay.</p>
      </ConfirmDialog>
    </section>
  );
}

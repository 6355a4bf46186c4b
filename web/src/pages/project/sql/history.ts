/** The last runs of the SQL editor, kept in this browser per project (never sent anywhere), and the unsaved draft. */
import { createSignal } from 'solid-js';

export interface HistoryEntry {
  sql: string;
  ranAt: string;
  ok: boolean;
  /** "SELECT · 3 rows", or the error's message. */
  summary: string;
  durationMs: number;
}

export const HISTORY_SIZE = 50;

const historyKey = (ref: string) => `canopy:sql-history:${ref}`;
const draftKey = (ref: string) => `canopy:sql-draft:${ref}`;

function read<T>(key: string, fallback: T): T {
  try {
    const stored = localStorage.getItem(key);
    return stored ? (JSON.parse(stored) as T) : fallback;
  } catch {
    return fallback;
  }
}

function write(key: string, value: unknown) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or disabled: history is a convenience, the run itself is not affected.
  }
}

export function createHistory(ref: string) {
  const [entries, setEntries] = createSignal<HistoryEntry[]>(read(historyKey(ref), []));
  const store = (next: HistoryEntry[]) => {
    setEntries(next);
    write(historyKey(ref), next);
  };
  return {
    entries,
    /** Newest first; running the same SQL again moves it to the top. */
    add: (entry: HistoryEntry) => store([entry, ...entries().filter((e) => e.sql !== entry.sql)].slice(0, HISTORY_SIZE)),
    clear: () => store([]),
  };
}

export interface Draft {
  sql: string;
  /** The saved query it was opened from. */
  savedId: string | null;
}

export const readDraft = (ref: string): Draft => read(draftKey(ref), { sql: '', savedId: null });
export const writeDraft = (ref: string, draft: Draft) => write(draftKey(ref), draft);

/**
 * The SQL text: a plain monospace textarea (no editor library) with line numbers beside it, and the line of an error
 * marked both in the numbers and behind the text. Lines never wrap, so each number stays beside its line.
 */
import { createMemo, createSignal, For, type JSX } from 'solid-js';

/** Kept in step with .sql-code in database.css. */
const LINE_HEIGHT = 20;
const PADDING_TOP = 8;

interface CodeAreaProps {
  id: string;
  label: string;
  value: string;
  onValue: (value: string) => void;
  /** Ctrl/Cmd+Enter. */
  onRun: () => void;
  /** 1-based line of the error shown, if any. */
  errorLine?: number;
  /** The element that says what is wrong (the marker under the text). */
  describedBy?: string;
  placeholder?: string;
  ref: (element: HTMLTextAreaElement) => void;
  onSelectionChange?: (selected: boolean) => void;
  children?: JSX.Element;
}

export function CodeArea(props: CodeAreaProps) {
  const [scrollTop, setScrollTop] = createSignal(0);
  const lines = createMemo(() => props.value.split('\n').length);
  const numbers = createMemo(() => Array.from({ length: lines() }, (_, i) => i + 1));
  const selection = (element: HTMLTextAreaElement) =>
    props.onSelectionChange?.(element.selectionStart !== element.selectionEnd);

  const keyDown = (event: KeyboardEvent & { currentTarget: HTMLTextAreaElement }) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      props.onRun();
    }
  };

  return (
    <div class="sql-code-field">
      <label for={props.id}>{props.label}</label>
      <div class="sql-code" classList={{ 'sql-code-invalid': !!props.errorLine }}>
        <div class="sql-gutter" aria-hidden="true">
          <div style={{ transform: `translateY(${-scrollTop()}px)` }}>
            <For each={numbers()}>
              {(line) => <div classList={{ 'sql-gutter-error': line === props.errorLine }}>{line}</div>}
            </For>
          </div>
        </div>
        <div class="sql-text">
          <div
            class="sql-line-mark"
            aria-hidden="true"
            style={{
              display: props.errorLine ? 'block' : 'none',
              top: `${PADDING_TOP + ((props.errorLine ?? 1) - 1) * LINE_HEIGHT - scrollTop()}px`,
            }}
          />
          <textarea
            id={props.id}
            ref={props.ref}
            value={props.value}
            wrap="off"
            spellcheck={false}
            autocomplete="off"
            autocapitalize="off"
            placeholder={props.placeholder}
            aria-invalid={props.errorLine ? 'true' : undefined}
            aria-describedby={props.describedBy}
            aria-keyshortcuts="Control+Enter Meta+Enter"
            onInput={(event) => props.onValue(event.currentTarget.value)}
            onKeyDown={keyDown}
            onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}
            onSelect={(event) => selection(event.currentTarget)}
            onKeyUp={(event) => selection(event.currentTarget)}
            onMouseUp={(event) => selection(event.currentTarget)}
          />
        </div>
      </div>
      {props.children}
    </div>
  );
}

/** Puts the caret at a string index and scrolls its line into the middle of the view. */
export function moveCaret(element: HTMLTextAreaElement, index: number, line: number) {
  element.focus();
  element.setSelectionRange(index, index);
  element.scrollTop = Math.max(0, (line - 1) * LINE_HEIGHT - element.clientHeight / 2);
}

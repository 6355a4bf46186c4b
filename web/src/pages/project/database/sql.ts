/**
 * SQL text helpers shared by the table and SQL editors. Identifiers are always quoted (a table may be called
 * "Order Items"); values never go into SQL text: they are bind parameters ($1, $2 …).
 */

/** A name as a quoted SQL identifier: "name", with any " doubled. */
export const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Postgres cuts identifiers longer than this many bytes. */
export const MAX_IDENTIFIER_BYTES = 63;

export const identifierBytes = (name: string) => new TextEncoder().encode(name).length;

/** The project's own schema, which is also the search_path of its owner login. */
export const projectSchema = (ref: string) => `p_${ref}`;

/** A qualified, quoted table name: "p_ref"."table". */
export const qualified = (schema: string, table: string) => `${quoteIdent(schema)}.${quoteIdent(table)}`;

/**
 * Postgres reports error positions in characters (code points), counted from 1; JavaScript strings count UTF-16
 * units. Returns the string index of a Postgres position, and its 1-based line and column.
 */
export function locate(text: string, position: number): { index: number; line: number; column: number } {
  let index = 0;
  let line = 1;
  let column = 1;
  let characters = 1;
  for (const character of text) {
    if (characters >= position) break;
    characters += 1;
    index += character.length;
    if (character === '\n') {
      line += 1;
      column = 1;
    } else {
      column += 1;
    }
  }
  return { index, line, column };
}

/** Postgres positions count code points: how many the text holds. */
export const codePoints = (text: string) => [...text].length;

/** A count with its noun: "1 row", "3 rows". */
export const plural = (count: number, noun: string) => `${count.toLocaleString()} ${noun}${count === 1 ? '' : 's'}`;

/** The 1-based line and column (in characters) of a string index. */
export function lineColumnAt(text: string, index: number): { line: number; column: number } {
  const before = text.slice(0, index);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: codePoints(before.slice(lineStart)) + 1 };
}

/**
 * What `runProjectSql` answers (the control API's SqlRun): shared by the server (projects/sql.ts) and the console's
 * SQL and table editors (web/src/pages/project/database/runner.ts), which import these types only.
 */

export interface SqlColumn {
  name: string;
  /** The Postgres type name (pg_type.typname): int4, text, timestamptz, … */
  type: string;
}

export interface SqlStatementResult {
  command: string;
  rowCount: number | null;
  columns: SqlColumn[];
  rows: Array<Array<string | null>>;
  truncated: boolean;
}

export interface SqlError {
  message: string;
  /** The SQLSTATE. */
  code: string;
  /** 1-based, in characters of the query, as Postgres reports it. */
  position: number | null;
  line: number | null;
  column: number | null;
  detail: string | null;
  hint: string | null;
}

export interface SqlRun {
  results: SqlStatementResult[];
  error: SqlError | null;
  durationMs: number;
}

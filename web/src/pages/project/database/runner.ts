/**
 * Running SQL in the project's database through the control API (`runProjectSql`), as the project's owner login.
 * A Postgres error is part of the answer (`run.error`); a refused or failed request is a `SqlRequestFailure`.
 */
import { useClient } from '@urql/solid';
import { errorCode, errorMessage } from '../../../graphql/client.ts';
import { useProject } from '../../../layout/project.tsx';
// The answer's shape, as the server writes it.
import type { SqlError, SqlRun, SqlStatementResult } from '../../../../../server/src/projects/sql-results.ts';

export type { SqlColumn, SqlError, SqlRun, SqlStatementResult } from '../../../../../server/src/projects/sql-results.ts';

const RUN_PROJECT_SQL = `mutation RunProjectSql($projectId: UUID!, $query: String!, $params: [String]) {
  runProjectSql(projectId: $projectId, query: $query, params: $params) {
    results { command rowCount columns { name type } rows truncated }
    error { message code position line column detail hint }
    durationMs
  }
}`;

/** The request itself failed: not allowed (FORBIDDEN), the project not active (NOT_READY), offline … */
export class SqlRequestFailure extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** Postgres refused a statement that a page made (not one a person typed): its words, with detail and hint. */
export class SqlStatementFailure extends Error {
  constructor(readonly error: SqlError) {
    super([error.message, error.detail, error.hint].filter(Boolean).join(' — '));
  }
}

export const FORBIDDEN_MESSAGE = 'Read-only members cannot run SQL: only owners, administrators and developers can.';

/** Why this person may not run SQL, by their role in the organization (null: a platform admin, not a member). */
export const forbiddenFor = (role: string | null) =>
  role === 'read_only' ? FORBIDDEN_MESSAGE : 'Only owners, administrators and developers of the organization can run SQL in its projects.';

export function useSqlRunner() {
  const client = useClient();
  const { project } = useProject();

  /** Runs SQL: several statements without params, one with them. Throws SqlRequestFailure. */
  const run = async (query: string, params?: Array<string | null>): Promise<SqlRun> => {
    const result = await client
      .mutation<{ runProjectSql: SqlRun | null }>(RUN_PROJECT_SQL, { projectId: project().id, query, params: params ?? null })
      .toPromise();
    if (result.error || !result.data?.runProjectSql) {
      const code = errorCode(result.error);
      const message = code === 'FORBIDDEN' ? FORBIDDEN_MESSAGE : (errorMessage(result.error) ?? 'The SQL could not be run');
      throw new SqlRequestFailure(message, code);
    }
    return result.data.runProjectSql;
  };

  /** Runs one statement and gives its result; a Postgres error is thrown as SqlStatementFailure. */
  const one = async (query: string, params?: Array<string | null>): Promise<SqlStatementResult> => {
    const answer = await run(query, params ?? []);
    if (answer.error) throw new SqlStatementFailure(answer.error);
    const last = answer.results.at(-1);
    if (!last) throw new SqlRequestFailure('The SQL gave no result', undefined);
    return last;
  };

  return { run, one };
}

/** Rows as objects by column name (for catalog queries whose column names are known). */
export function records(result: SqlStatementResult): Array<Record<string, string | null>> {
  return result.rows.map((row) => Object.fromEntries(result.columns.map((column, i) => [column.name, row[i] ?? null])));
}

/** Words for anything a run threw. */
export const failureMessage = (error: unknown) =>
  error instanceof Error ? error.message : 'Something went wrong; try again.';

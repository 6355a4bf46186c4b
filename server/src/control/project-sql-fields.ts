/**
 * Control API fields for the console's SQL editor: running SQL in a project's database as its owner login
 * (projects/sql.ts). Saved queries are a table (`projectSqlQueries`, PostGraphile's), not here.
 */
import { context, sideEffect } from 'postgraphile/grafast';
import { extendSchema } from 'postgraphile/utils';
import { CanopyError } from '../errors.ts';

export const ProjectSqlFieldsPlugin = extendSchema(() => ({
  typeDefs: /* GraphQL */ `
    type SqlColumn {
      name: String!
      "The Postgres type name, e.g. int4, text, timestamptz."
      type: String!
    }
    "What one statement of a run gave."
    type SqlStatementResult {
      "The command, e.g. SELECT, INSERT, CREATE."
      command: String!
      "Rows returned or affected, where the command reports a count."
      rowCount: Int
      columns: [SqlColumn!]!
      "Rows as arrays of text values (null stays null), at most 1,000 per statement"
      rows: JSON!
      "Whether rows were left out (over 1,000, or over 8 MB in all); rowCount still counts them."
      truncated: Boolean!
    }
    "A Postgres error, with where in the SQL it happened."
    type SqlError {
      message: String!
      "SQLSTATE"
      code: String!
      "1-based, in characters of the query."
      position: Int
      line: Int
      column: Int
      detail: String
      hint: String
    }
    type SqlRun {
      "The statements that completed, in order (up to the failing one, whose effects and theirs were rolled back unless committed)."
      results: [SqlStatementResult!]!
      error: SqlError
      durationMs: Float!
    }
    extend type Mutation {
      """
      Runs SQL in the project's database as its owner login (owners, administrators, developers).
      Without \`params\`, several statements separated by \`;\` may run, each with its result; with \`params\` (\`$1\`, …,
      as text), one statement. Statements time out after 30 seconds; a transaction left open is rolled back.
      """
      runProjectSql(projectId: UUID!, query: String!, params: [String]): SqlRun
    }
  `,
  objects: {
    Mutation: {
      plans: {
        runProjectSql(_, fieldArgs) {
          return sideEffect([fieldArgs.getRaw(), context()], ([args, ctx]) => {
            const { projectId, query, params } = args as { projectId: string; query: string; params?: Array<string | null> | null };
            if (!ctx.canopy.identity) throw new CanopyError('UNAUTHENTICATED', 'You must sign in first', 401);
            return ctx.canopy.projectSql.run(ctx.canopy.identity, ctx.canopy.origin, projectId, query, params ?? null);
          });
        },
      },
    },
  },
}));

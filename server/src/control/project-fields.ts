/** Control API fields for projects that need Node: revealing credentials (decrypting secrets, signing keys). */
import { context, lambda } from 'postgraphile/grafast';
import { extendSchema } from 'postgraphile/utils';
import { CanopyError } from '../errors.ts';

export const ProjectFieldsPlugin = extendSchema(() => ({
  typeDefs: /* GraphQL */ `
    """
    How to reach a project. Every member sees \`apiUrl\` and \`anonKey\`; owners, administrators and developers also
    see the secrets (null for read-only members), and each such reveal is in the audit log.
    """
    type ProjectCredentials {
      apiUrl: String!
      anonKey: String!
      serviceRoleKey: String
      jwtSecret: String
      "For psql and graphile-migrate, as the project's owner login."
      databaseUrl: String
    }
    extend type Query {
      projectCredentials(projectId: UUID!): ProjectCredentials
    }
  `,
  objects: {
    Query: {
      plans: {
        projectCredentials(_, fieldArgs) {
          return lambda([fieldArgs.getRaw('projectId'), context()], ([projectId, ctx]) => {
            const { identity, origin, projects } = ctx.canopy;
            if (!identity) throw new CanopyError('UNAUTHENTICATED', 'You must sign in first', 401);
            return projects.reveal(identity, projectId as string, origin);
          });
        },
      },
    },
  },
}));

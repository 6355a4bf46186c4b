/**
 * Control API fields for projects that need Node: revealing credentials (decrypting secrets, signing keys), and the
 * project's end users and its storage usage, which live in the project's own database.
 */
import { context, lambda, sideEffect } from 'postgraphile/grafast';
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
      "A project's end users (its auth API's), newest first; \`search\` matches part of the email."
      projectUsers(projectId: UUID!, search: String, first: Int = 50, offset: Int = 0): ProjectUsersPage
      "A project's storage: objects and bytes in all, and per bucket; always current."
      projectStorageUsage(projectId: UUID!): ProjectStorageUsage
    }

    type BucketUsage {
      bucket: String!
      public: Boolean!
      objects: Int!
      bytes: Float!
    }
    type ProjectStorageUsage {
      objects: Int!
      bytes: Float!
      buckets: [BucketUsage!]!
    }

    "An end user of a project."
    type ProjectUser {
      id: UUID!
      email: String!
      createdAt: Datetime!
      lastSignInAt: Datetime
      emailConfirmedAt: Datetime
    }
    type ProjectUsersPage {
      totalCount: Int!
      nodes: [ProjectUser!]!
    }
    extend type Mutation {
      "Creates a confirmed end user (owners, administrators, developers); without a password they sign in by mail."
      createProjectUser(projectId: UUID!, email: String!, password: String): ProjectUser
      "Deletes an end user and their sessions (owners, administrators, developers)."
      deleteProjectUser(projectId: UUID!, userId: UUID!): Boolean
    }
  `,
  objects: {
    Query: {
      plans: {
        projectCredentials(_, fieldArgs) {
          return lambda([fieldArgs.getRaw('projectId'), context()], ([projectId, ctx]) => {
            const { origin, projects } = ctx.canopy;
            return projects.reveal(signedIn(ctx), projectId as string, origin);
          });
        },
        projectUsers(_, fieldArgs) {
          return lambda([fieldArgs.getRaw(), context()], ([args, ctx]) => {
            const { projectId, ...page } = args as { projectId: string; search?: string; first: number; offset: number };
            return ctx.canopy.projectUsers.list(signedIn(ctx), projectId, { ...page, search: page.search ?? '' });
          });
        },
        projectStorageUsage(_, fieldArgs) {
          return lambda([fieldArgs.getRaw('projectId'), context()], ([projectId, ctx]) =>
            ctx.canopy.projectStorage.usage(signedIn(ctx), projectId as string),
          );
        },
      },
    },
    Mutation: {
      plans: {
        createProjectUser(_, fieldArgs) {
          return sideEffect([fieldArgs.getRaw(), context()], ([args, ctx]) => {
            const { projectId, email, password } = args as { projectId: string; email: string; password?: string };
            return ctx.canopy.projectUsers.create(signedIn(ctx), ctx.canopy.origin, projectId, email, password ?? null);
          });
        },
        deleteProjectUser(_, fieldArgs) {
          return sideEffect([fieldArgs.getRaw(), context()], ([args, ctx]) => {
            const { projectId, userId } = args as { projectId: string; userId: string };
            return ctx.canopy.projectUsers.delete(signedIn(ctx), ctx.canopy.origin, projectId, userId);
          });
        },
      },
    },
  },
}));

function signedIn(ctx: Grafast.Context) {
  if (!ctx.canopy.identity) throw new CanopyError('UNAUTHENTICATED', 'You must sign in first', 401);
  return ctx.canopy.identity;
}

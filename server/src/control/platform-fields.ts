/**
 * Control API fields for platform administrators (the operator makes someone one: `npm run admin --
 * grant-platform-admin`): the worker queue and the data clusters. Anyone else is refused: FORBIDDEN, or
 * UNAUTHENTICATED when not signed in. The work is in platform.ts.
 */
import { context, lambda, sideEffect } from 'postgraphile/grafast';
import { extendSchema } from 'postgraphile/utils';

export const PlatformFieldsPlugin = extendSchema(() => ({
  typeDefs: /* GraphQL */ `
    "A graphile-worker job: provisioning, mail, migrations, … A job that succeeded is gone from the queue."
    type PlatformJob {
      id: BigInt!
      taskIdentifier: String!
      queueName: String
      "De-duplicates jobs: most jobs about one row carry \`<task>:<row id>\`."
      key: String
      attempts: Int!
      maxAttempts: Int!
      lastError: String
      "When it runs next (after a failed attempt, later and later)."
      runAt: Datetime!
      lockedAt: Datetime
      "The worker running it."
      lockedBy: String
      createdAt: Datetime!
    }
    type PlatformJobs {
      "Waiting to run, now or after a failed attempt."
      pending: Int!
      running: Int!
      "Out of attempts: they stay until retried (\`retryPlatformJob\`)."
      failed: Int!
      jobs: [PlatformJob!]!
    }
    "A Postgres server that holds organization databases."
    type PlatformCluster {
      name: String!
      "How many organization databases it may hold."
      capacity: Int
      organizationDatabases: Int!
      "Projects (not deleted) in its organization databases."
      projects: Int!
      createdAt: Datetime
    }
    extend type Query {
      """
      The worker queue: counts and up to \`first\` jobs (failed = attempts exhausted), newest first; platform admins
      only. \`state\`: all, pending, running or failed.
      """
      platformJobs(state: String = "all", first: Int = 100): PlatformJobs
      "The data clusters and what they hold; platform admins only."
      platformClusters: [PlatformCluster!]
    }
    extend type Mutation {
      "Runs a failed job again now (platform admins); audited"
      retryPlatformJob(id: BigInt!): Boolean
    }
  `,
  objects: {
    Query: {
      plans: {
        platformJobs(_, fieldArgs) {
          return lambda([fieldArgs.getRaw(), context()], ([args, ctx]) => {
            const { state, first } = args as { state?: string | null; first?: number | null };
            return ctx.canopy.platform.jobs(ctx.canopy.identity, { state: state ?? 'all', first: first ?? 100 });
          });
        },
        platformClusters() {
          return lambda(context(), (ctx) => ctx.canopy.platform.clusters(ctx.canopy.identity));
        },
      },
    },
    Mutation: {
      plans: {
        retryPlatformJob(_, fieldArgs) {
          return sideEffect([fieldArgs.getRaw('id'), context()], ([id, ctx]) =>
            ctx.canopy.platform.retryJob(ctx.canopy.identity, ctx.canopy.origin, String(id)),
          );
        },
      },
    },
  },
}));

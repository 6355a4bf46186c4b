/**
 * A project's end-user auth at `/auth/v1/…`: the GoTrue API that supabase-js's auth client speaks.
 */
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Config } from '../../config.ts';

export interface AuthDependencies {
  config: Config;
  /** The control database, as canopy_owner (for the mail outbox). */
  ownerPool: pg.Pool;
}

export async function authRoutes(_app: FastifyInstance, _dependencies: AuthDependencies): Promise<void> {}

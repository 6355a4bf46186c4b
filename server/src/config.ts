/**
 * Canopy's settings, read once from the environment at start and passed down.
 *
 * Without DATABASE_URL, Canopy runs an embedded Postgres; without CANOPY_S3_ENDPOINT, a local S3 server. Both keep
 * their data under `dataDir`, as does every generated secret.
 */
import path from 'node:path';

export interface Config {
  /** Where embedded services and generated secrets live (git-ignored). */
  dataDir: string;
  host: string;
  port: number;
  /** The URL people reach the console and APIs at; also the only origin cookie sessions are accepted from. */
  publicUrl: string;
  /** Extra origins allowed to call the control API from a browser (CORS); project APIs accept any origin. */
  corsOrigins: string[];
  /** Project APIs are also served at `<ref>.<apiDomain>`. */
  apiDomain?: string;
  /** Memory for cached per-project GraphQL instances. */
  apiCacheMb: number;
  /** Connections per organization database, across its projects' API pools (projects/databases.ts). */
  organizationPoolSize: number;
  /** Connections of one project's API pool. */
  projectPoolSize: number;
  /** Jobs one worker process runs at once (provisioning is mostly waiting on Postgres). */
  workerConcurrency: number;
  /** A worker that has not beaten for this long is dead, and its jobs go to the others. */
  workerStaleSeconds: number;
  production: boolean;
  /** External Postgres; undefined means embedded. */
  database?: {
    /** A role that may `set role canopy_owner` on the control database: migrations and the worker use it. */
    url: string;
    /** A superuser on the same server: creates roles and databases. */
    rootUrl: string;
    /** graphile-migrate's scratch database (development only). */
    shadowUrl?: string;
  };
  /** External S3 (MinIO or any S3); undefined means the local S3 server. */
  s3?: S3Settings;
  /** Secrets given by the operator; missing ones are generated into dataDir. */
  masterKey?: string;
  authenticatorPassword?: string;
  mail: { smtpUrl?: string; from: string };
  /** How many failed sign-ins an email gets in `windowMinutes` before it is refused for that long. */
  signInThrottle: { maxFailures: number; windowMinutes: number; slowAfter: number; slowMs: number };
  sessionDays: number;
}

export interface S3Settings {
  endPoint: string;
  port: number;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  region: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = int(env.PORT, 8080);
  const host = env.HOST ?? '127.0.0.1';
  const publicUrl = (env.CANOPY_PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/$/, '');
  const databaseUrl = env.DATABASE_URL;
  return {
    dataDir: path.resolve(env.CANOPY_DATA_DIR ?? '.canopy'),
    host,
    port,
    publicUrl,
    corsOrigins: list(env.CANOPY_CORS_ORIGINS),
    apiDomain: env.CANOPY_API_DOMAIN || undefined,
    apiCacheMb: int(env.CANOPY_API_CACHE_MB, 256),
    organizationPoolSize: int(env.CANOPY_ORG_POOL_SIZE, 40),
    projectPoolSize: int(env.CANOPY_PROJECT_POOL_SIZE, 5),
    workerConcurrency: int(env.CANOPY_WORKER_CONCURRENCY, 10),
    workerStaleSeconds: int(env.CANOPY_WORKER_STALE_SECONDS, 30),
    production: env.NODE_ENV === 'production',
    database: databaseUrl
      ? {
          url: databaseUrl,
          rootUrl: env.ROOT_DATABASE_URL ?? databaseUrl,
          shadowUrl: env.SHADOW_DATABASE_URL,
        }
      : undefined,
    s3: env.CANOPY_S3_ENDPOINT ? s3FromEnv(env, env.CANOPY_S3_ENDPOINT) : undefined,
    masterKey: env.CANOPY_MASTER_KEY,
    authenticatorPassword: env.CANOPY_AUTHENTICATOR_PASSWORD,
    mail: { smtpUrl: env.CANOPY_SMTP_URL, from: env.CANOPY_MAIL_FROM ?? 'Canopy <no-reply@localhost>' },
    signInThrottle: {
      maxFailures: int(env.CANOPY_SIGNIN_MAX_FAILURES, 10),
      windowMinutes: int(env.CANOPY_SIGNIN_WINDOW_MINUTES, 15),
      slowAfter: 3,
      slowMs: 250,
    },
    sessionDays: int(env.CANOPY_SESSION_DAYS, 14),
  };
}

function s3FromEnv(env: NodeJS.ProcessEnv, endpoint: string): S3Settings {
  const url = new URL(endpoint);
  const useSSL = url.protocol === 'https:';
  const { CANOPY_S3_ACCESS_KEY: accessKey, CANOPY_S3_SECRET_KEY: secretKey } = env;
  if (!accessKey || !secretKey) {
    throw new Error('CANOPY_S3_ENDPOINT is set: CANOPY_S3_ACCESS_KEY and CANOPY_S3_SECRET_KEY are needed too');
  }
  return {
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey,
    secretKey,
    region: env.CANOPY_S3_REGION ?? 'us-east-1',
  };
}

function int(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`Expected a whole number, got ${JSON.stringify(value)}`);
  return n;
}

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * What the project APIs need to know about a project, by ref: its status, its JWT secret and its database. Read from
 * the control database once and cached; a change to the project or its secrets is announced on `canopy:projects`
 * (a trigger), and the entry is forgotten. Unknown refs are cached too (up to MAX_MISSES), so guessing refs costs
 * one query per ref.
 */
import type { webcrypto } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type pg from 'pg';
import { CanopyError } from '../errors.ts';
import type { SecretBox } from '../secrets.ts';

export interface ProjectEntry {
  id: string;
  ref: string;
  status: string;
  organizationRef: string;
  planId: string;
  /** The plan's rate for the project's APIs; null is unlimited. */
  requestsPerSecond: number | null;
  /** The plan's storage quota for each of the organization's projects, in bytes; null is unlimited. */
  storageBytesLimit: number | null;
  /** Present once provisioning has made the keys. */
  jwtSecret?: Uint8Array;
  /** The same secret imported once as an HMAC key: jose would import it again on every verification. */
  jwtKey?: webcrypto.CryptoKey;
  /** The organization database, as the project's own authenticator login; present once its roles are made. */
  databaseUrl?: string;
  /** The same database as the organization's authenticator, which can become no role: for LISTEN only. */
  listenUrl?: string;
  /** Keys of this project already verified, and their claims (see callers.ts). */
  verifiedKeys: Map<string, JWTPayload & { role: 'anon' | 'service_role' | 'authenticated'; ref: string }>;
}

/** Why a project that exists does not serve requests now. */
export function refuseUnlessActive(
  entry: ProjectEntry | undefined,
): asserts entry is ProjectEntry & { databaseUrl: string; listenUrl: string } {
  if (!entry || entry.status === 'deleted' || entry.status === 'deleting') {
    throw new CanopyError('PROJECT_NOT_FOUND', 'There is no such project', 404);
  }
  if (['paused', 'pausing', 'resuming'].includes(entry.status)) {
    throw new CanopyError('PROJECT_PAUSED', 'The project is paused; resume it to use its APIs', 503);
  }
  if (entry.status !== 'active' || !entry.databaseUrl || !entry.listenUrl) {
    throw new CanopyError('PROJECT_NOT_READY', `The project is ${entry.status}, not ready yet`, 503);
  }
}

/** Unknown refs remembered at most (a few MB); beyond, they are forgotten all at once. */
const MAX_MISSES = 10_000;

export class ProjectRegistry {
  private readonly entries = new Map<string, Promise<ProjectEntry | undefined>>();
  private readonly misses = new Set<string>();
  private listener?: pg.PoolClient;

  constructor(
    private readonly owner: pg.Pool,
    private readonly box: SecretBox,
    /** The control cluster's superuser URL: where organization databases on the control cluster are. */
    private readonly controlRootUrl: string,
  ) {}

  /**
   * Starts listening for changes; until then (and if the listener fails) nothing is cached. `onChange` hears of every
   * changed project, for the caches built on an entry.
   */
  async listen(onChange: (ref: string) => void): Promise<void> {
    const client = await this.owner.connect();
    client.on('notification', (message) => {
      const ref = message.payload ?? '';
      this.entries.delete(ref);
      onChange(ref);
    });
    client.on('error', () => {
      if (this.listener !== client) return; // already closed
      this.listener = undefined;
      this.entries.clear();
      client.release(true);
    });
    await client.query('listen "canopy:projects"');
    this.listener = client;
  }

  get(ref: string): Promise<ProjectEntry | undefined> {
    const cached = this.entries.get(ref);
    if (cached) return cached;
    const loading = this.load(ref);
    if (this.listener) {
      this.entries.set(ref, loading);
      loading.then((entry) => entry || this.missed(ref), () => this.entries.delete(ref));
    }
    return loading;
  }

  /** Refs that are no project are remembered too, but only so many: guessing refs must not fill the memory. */
  private missed(ref: string) {
    this.misses.add(ref);
    if (this.misses.size <= MAX_MISSES) return;
    for (const miss of this.misses) this.entries.delete(miss);
    this.misses.clear();
  }

  async close(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    this.entries.clear();
    // Destroyed, not returned to the pool: a pooled connection must not go on listening.
    listener?.release(true);
  }

  private async load(ref: string): Promise<ProjectEntry | undefined> {
    if (!/^[a-z]{20}$/.test(ref)) return undefined;
    const { rows } = await this.owner.query(
      `select p.id, p.ref, p.status, o.ref as organization_ref, o.plan_id, plan.api_requests_per_second, plan.max_storage_bytes,
              s.jwt_secret_sealed, s.authenticator_password_sealed,
              d.authenticator_password_sealed as organization_authenticator_password_sealed, c.admin_url_sealed
       from app_public.projects p
       join app_public.organizations o on o.id = p.organization_id
       join app_public.plans plan on plan.id = o.plan_id
       left join app_private.project_secrets s on s.project_id = p.id
       left join app_private.organization_databases d on d.organization_id = p.organization_id
       left join app_private.clusters c on c.id = d.cluster_id
       where p.ref = $1`,
      [ref],
    );
    const row = rows[0];
    if (!row) return undefined;
    const entry: ProjectEntry = {
      id: row.id,
      ref: row.ref,
      status: row.status,
      organizationRef: row.organization_ref,
      planId: row.plan_id,
      requestsPerSecond: row.api_requests_per_second,
      storageBytesLimit: row.max_storage_bytes === null ? null : Number(row.max_storage_bytes),
      verifiedKeys: new Map(),
    };
    if (row.jwt_secret_sealed) {
      entry.jwtSecret = new TextEncoder().encode(this.box.open(row.jwt_secret_sealed));
      entry.jwtKey = await crypto.subtle.importKey('raw', entry.jwtSecret, { name: 'HMAC', hash: 'SHA-256' }, false, [
        'sign',
        'verify',
      ]);
    }
    if (row.authenticator_password_sealed && row.organization_authenticator_password_sealed) {
      const login = (username: string, sealedPassword: string) => {
        const url = new URL(row.admin_url_sealed ? this.box.open(row.admin_url_sealed) : this.controlRootUrl);
        url.username = username;
        url.password = encodeURIComponent(this.box.open(sealedPassword));
        url.pathname = `/org_${row.organization_ref}`;
        return url.toString();
      };
      entry.databaseUrl = login(`p_${row.ref}_authenticator`, row.authenticator_password_sealed);
      entry.listenUrl = login(`o_${row.organization_ref}_authenticator`, row.organization_authenticator_password_sealed);
    }
    return entry;
  }
}

/**
 * What the platform admin fields answer (platformJobs, platformClusters): shared by the server (control/platform.ts)
 * and the console's admin pages, which import these types only.
 */

export interface PlatformJob {
  id: string;
  taskIdentifier: string;
  queueName: string | null;
  key: string | null;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  runAt: string;
  lockedAt: string | null;
  lockedBy: string | null;
  createdAt: string;
}

export interface PlatformJobs {
  pending: number;
  running: number;
  failed: number;
  jobs: PlatformJob[];
}

export interface PlatformCluster {
  name: string;
  capacity: number | null;
  organizationDatabases: number;
  projects: number;
  createdAt: string | null;
}

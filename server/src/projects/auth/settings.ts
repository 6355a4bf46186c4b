/** The project's auth settings: the one row of its auth schema's `settings` table. */
import type pg from 'pg';

export interface AuthSettings {
  enableSignup: boolean;
  confirmEmail: boolean;
  accessTokenTtl: number;
  minPasswordLength: number;
  redirectUrls: string[];
  siteUrl: string | null;
}

export async function loadSettings(client: pg.PoolClient, schema: string): Promise<AuthSettings> {
  const { rows } = await client.query<AuthSettings>(
    `select enable_signup as "enableSignup", confirm_email as "confirmEmail", access_token_ttl as "accessTokenTtl",
            min_password_length as "minPasswordLength", redirect_urls as "redirectUrls", site_url as "siteUrl"
     from ${schema}.settings`,
  );
  if (!rows[0]) throw new Error(`${schema}.settings has no row`);
  return rows[0];
}

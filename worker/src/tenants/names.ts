/**
 * Names of tenant objects in Postgres catalogs. They are built only from refs (20 random lowercase letters), so they
 * tell nothing about a tenant and are safe identifiers; they are still quoted wherever they reach SQL.
 */
export function organizationNames(ref: string) {
  return { database: `org_${ref}`, authenticator: `o_${ref}_authenticator` };
}

export function projectNames(ref: string) {
  return {
    schema: `p_${ref}`,
    authSchema: `p_${ref}_auth`,
    storageSchema: `p_${ref}_storage`,
    anon: `p_${ref}_anon`,
    authenticated: `p_${ref}_authenticated`,
    service: `p_${ref}_service`,
    owner: `p_${ref}_owner`,
    /** The project APIs' login: it can become the three API roles above, and nothing else. */
    authenticator: `p_${ref}_authenticator`,
  };
}

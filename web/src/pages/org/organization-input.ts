/** An organization's name and slug: checked before sending, and the server's refusals put beside their field. */
import type { CombinedError } from '@urql/core';
import { errorCode, errorMessage } from '../../graphql/client.ts';

export const SLUG_PATTERN = /^[a-z0-9-]{3,40}$/;
export const SLUG_RULE = '3 to 40 characters: lowercase letters, digits and dashes';

export const slugFrom = (name: string) =>
  name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);

export interface OrganizationErrors {
  name?: string;
  slug?: string;
  form?: string;
}

export function checkOrganization(name: string, slug: string): OrganizationErrors {
  const found: OrganizationErrors = {};
  if (!name) found.name = 'Give the organization a name';
  else if (name.length > 100) found.name = 'A name is at most 100 characters';
  if (!SLUG_PATTERN.test(slug)) found.slug = `A slug is ${SLUG_RULE}`;
  return found;
}

export function refusalOf(error: CombinedError): OrganizationErrors {
  const code = errorCode(error);
  const message = errorMessage(error);
  if (code === 'SLUG_TAKEN' || code === 'INVALID_SLUG') return { slug: message };
  if (code === 'INVALID_NAME') return { name: message };
  return { form: message };
}

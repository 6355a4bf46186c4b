/**
 * Where mailed links may send people back to. A redirect the app asks for is used only when the project allows it
 * (an exact URL, or a glob: `*` stays within a path segment, `**` crosses them); otherwise the project's site URL,
 * as GoTrue does, so that a link can never be made to carry tokens to someone else's site.
 */
import type { AuthSettings } from './settings.ts';

/**
 * Whether `text` matches the glob `pattern`, in time linear in their lengths (a regular expression of several
 * wildcards backtracks: a crafted redirect_to could hold the server for seconds). Each literal part is taken at its
 * first place after the previous one: a shorter gap is never worse, as `*` only forbids `/` in its gap.
 */
export function globMatches(pattern: string, text: string): boolean {
  const parts = pattern.split(/(\*\*|\*)/);
  const literals = parts.filter((_, index) => index % 2 === 0);
  const wildcards = parts.filter((_, index) => index % 2 === 1);
  const gapAllowed = (wildcard: string, gap: string) => wildcard === '**' || !gap.includes('/');
  if (wildcards.length === 0) return pattern === text;
  if (!text.startsWith(literals[0]!)) return false;
  let position = literals[0]!.length;
  for (let index = 1; index < literals.length - 1; index++) {
    const at = text.indexOf(literals[index]!, position);
    if (at < 0 || !gapAllowed(wildcards[index - 1]!, text.slice(position, at))) return false;
    position = at + literals[index]!.length;
  }
  const last = literals.at(-1)!;
  const end = text.length - last.length;
  return end >= position && text.endsWith(last) && gapAllowed(wildcards.at(-1)!, text.slice(position, end));
}

/**
 * Whether an entry may go in the project's allowed redirect URLs: an absolute http(s) URL, where `*` and `**` may
 * stand for parts of its path (and query), never for any of its scheme or host: `*` matches any character but `/`,
 * so a glob in the host would also match `evil.example?.app.example` (a host of someone else's). With `globs: false`
 * the same test for the site URL.
 */
export function isAllowedRedirectEntry(entry: string, { globs = true } = {}): boolean {
  const parts = /^(https?):\/\/([^/?#]+)(.*)$/i.exec(entry);
  if (!parts || entry.length > 2048 || /[\s\u0000-\u001f\u007f\\]/.test(entry)) return false;
  const [, , authority, rest] = parts;
  if (authority.includes('*') || authority.includes('@') || (entry.includes('*') && (!globs || !rest.startsWith('/')))) {
    return false;
  }
  // A glob stands for some text; what is left around it must still be a URL.
  if (!URL.canParse(entry.replaceAll('*', 'x'))) return false;
  const url = new URL(entry.replaceAll('*', 'x'));
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
}

export function resolveRedirect(settings: AuthSettings, requested: string | undefined): string | undefined {
  if (requested && URL.canParse(requested)) {
    const allowed = settings.redirectUrls.some((entry) => globMatches(entry, requested));
    if (allowed) return requested;
  }
  return settings.siteUrl && URL.canParse(settings.siteUrl) ? settings.siteUrl : undefined;
}

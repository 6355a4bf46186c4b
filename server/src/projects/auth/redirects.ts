/**
 * Where mailed links may send people back to. A redirect the app asks for is used only when the project allows it
 * (an exact URL, or a glob: `*` stays within a path segment, `**` crosses them); otherwise the project's site URL,
 * as GoTrue does, so that a link can never be made to carry tokens to someone else's site.
 */
import type { AuthSettings } from './settings.ts';

function globToRegExp(pattern: string): RegExp {
  const source = pattern
    .split('**')
    .map((part) => part.split('*').map((text) => text.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('[^/]*'))
    .join('.*');
  return new RegExp(`^${source}$`);
}

export function resolveRedirect(settings: AuthSettings, requested: string | undefined): string | undefined {
  if (requested && URL.canParse(requested)) {
    const allowed = settings.redirectUrls.some((entry) => entry === requested || globToRegExp(entry).test(requested));
    if (allowed) return requested;
  }
  return settings.siteUrl && URL.canParse(settings.siteUrl) ? settings.siteUrl : undefined;
}

import { defineOption, asString, integer, OptionError } from '../../config/options.ts';

declare module '../../config/options.ts' {
  interface Config {
    /** Who may create organizations: platform administrators only, or any signed-in user. */
    readonly organizationCreators: 'platform_admins' | 'any_user';
    /** Organizations one user (not a platform administrator) may have created and not yet deleted. */
    readonly organizationsPerUser: number;
  }
}

function organizationCreators(raw: unknown): 'platform_admins' | 'any_user' {
  const text = asString(raw).toLowerCase();
  if (text !== 'platform_admins' && text !== 'any_user') throw new OptionError('expected platform_admins or any_user');
  return text;
}

/** The tenants module's configuration options: in its manifest, and so in the README table and `parapet config check`. */
export const TENANTS_OPTIONS = [
  defineOption({
    key: 'organizationCreators', env: 'PARAPET_ORGANIZATION_CREATORS', defaultText: 'platform_admins',
    description: 'Who may create organizations: platform_admins, or any_user (any signed-in user, up to PARAPET_ORGANIZATIONS_PER_USER).',
    parse: organizationCreators, derive: () => 'platform_admins' as const,
  }),
  defineOption({
    key: 'organizationsPerUser', env: 'PARAPET_ORGANIZATIONS_PER_USER', defaultText: '10',
    description: 'Organizations one user may have created (and not yet deleted); platform administrators are not limited.',
    parse: integer(1, 10_000), derive: () => 10,
  }),
] as const;

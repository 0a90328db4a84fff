-- JWT access tokens for resource servers (RFC 9068 profile, RFC 8707 resource indicators) and
-- per-organization branding of the hosted pages (issue 17, docs/openid-provider.md).

-- A resource server (an API) of one environment. Its identifier is the RFC 8707 `resource` value
-- and the `aud` of the JWT access tokens issued for it. With application_id set it is that
-- application's own API: only that application may ask for tokens to it.
create table oidc_resource_servers (
  tenant_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  project_id uuid not null,
  environment_id uuid not null,
  application_id uuid,
  name text not null check (length(name) between 1 and 100),
  identifier text not null check (length(identifier) between 1 and 2000),
  scopes text[] not null check (cardinality(scopes) between 1 and 50),
  access_token_ttl_seconds integer not null check (access_token_ttl_seconds between 60 and 3600),
  created_by uuid,
  created_at timestamptz not null,
  primary key (tenant_id, id),
  foreign key (tenant_id, project_id, environment_id) references environments (tenant_id, project_id, id) on delete cascade,
  foreign key (tenant_id, application_id) references oidc_applications (tenant_id, id) on delete cascade
);
-- One resource server per identifier in an environment: the audience names exactly one API.
create unique index oidc_resource_servers_identifier_idx on oidc_resource_servers (tenant_id, environment_id, identifier);
alter table oidc_resource_servers enable row level security;
alter table oidc_resource_servers force row level security;
create policy oidc_resource_servers_isolation on oidc_resource_servers using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
grant select, insert, delete on oidc_resource_servers to parapet_app;

-- How an organization's hosted sign-in pages look: a display name, an https logo and two colours
-- (#rrggbb). Rendered escaped, the colours through a stylesheet served from Parapet's origin, so
-- the pages' CSP stays without 'unsafe-inline'.
create table oidc_branding (
  tenant_id uuid primary key references organizations(id) on delete cascade,
  display_name text check (display_name is null or length(display_name) between 1 and 100),
  logo_url text check (logo_url is null or (length(logo_url) <= 2000 and logo_url like 'https://%')),
  primary_color text check (primary_color is null or primary_color ~ '^#[0-9a-f]{6}$'),
  background_color text check (background_color is null or background_color ~ '^#[0-9a-f]{6}$'),
  updated_by uuid,
  updated_at timestamptz not null
);
alter table oidc_branding enable row level security;
alter table oidc_branding force row level security;
create policy oidc_branding_isolation on oidc_branding using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
grant select, insert, update, delete on oidc_branding to parapet_app;

-- A domain's connection is optional: when its connection row goes without the API (which refuses
-- while a domain routes to it), only `connection_id` becomes null. The constraint of 0041 was
-- `on delete set null` over (tenant_id, connection_id), which also nulled the NOT NULL tenant_id
-- and failed the delete. PostgreSQL 15 and later take the column list.
alter table sso_domains drop constraint sso_domains_tenant_id_connection_id_fkey;
alter table sso_domains
  add constraint sso_domains_connection_fkey foreign key (tenant_id, connection_id)
  references sso_connections (tenant_id, id) on delete set null (connection_id);

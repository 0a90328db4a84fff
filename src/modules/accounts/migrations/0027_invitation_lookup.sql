-- DATA-2: a user's personal data export lists the invitations sent to their address (or accepted
-- by them) in every organization, including ones they never joined. Invitations are tenant-owned
-- under forced row-level security, so the export first asks which organizations hold such
-- invitations (ids only), then reads each inside that organization's context. The function runs
-- as its owner, whom forced RLS restricts too: this policy lets it read invitations.
create policy invitations_address_lookup on invitations for select to parapet_owner using (true);
create function parapet_invitation_organizations(address text, member uuid) returns setof uuid
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select distinct i.tenant_id from public.invitations i where i.email_normalized = address or i.accepted_by = member
$$;
revoke all on function parapet_invitation_organizations(text, uuid) from public;
grant execute on function parapet_invitation_organizations(text, uuid) to parapet_app;

-- OpenID Back-Channel Logout on Parapet session revocation (issue 17, docs/openid-provider.md).
-- The provider's per-client session id (`sid`, the one in the ID token) of each grant, recorded when
-- its authorization code is issued: when the Parapet session ends, the application is sent a logout
-- token naming exactly this sid.
alter table oidc_grant_sessions add column sid text check (sid is null or length(sid) between 1 and 100);
grant update (sid) on oidc_grant_sessions to parapet_app;

-- RFC 9126 §6: an application may require pushed authorization requests (its authorization
-- requests then travel only through POST /oidc/request, authenticated, never in the browser's URL).
alter table oidc_applications add column require_par boolean not null default false;

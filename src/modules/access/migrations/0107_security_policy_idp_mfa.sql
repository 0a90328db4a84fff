-- Issue 18 part 3: an organization's MFA policy may accept the multi-factor authentication of its
-- own SSO identity provider (amr / AuthnContextClassRef) instead of demanding Parapet's second
-- factor. Off by default; checked per organization (docs/sso.md "Enforcement rules").
alter table organization_security_policies add column accept_idp_mfa boolean not null default false;

-- Issue 18 part 1: encrypted SAML assertions. A SAML connection may hold this SP's decryption key
-- pair for it: the private key field-encrypted under the organization's key (ENC-4, `pk1.`), the
-- certificate (published in the SP metadata as the encryption key) in the clear.
alter table sso_connections add column saml_sp_decryption_key_sealed text check (saml_sp_decryption_key_sealed is null or saml_sp_decryption_key_sealed like 'pk1.%');
alter table sso_connections add column saml_sp_encryption_cert text;
alter table sso_connections add constraint sso_connections_sp_key_pair check ((saml_sp_decryption_key_sealed is null) = (saml_sp_encryption_cert is null));
-- Optionally, the same SP key signs the AuthnRequests of the connection (HTTP-Redirect binding,
-- RSA-SHA256); the SP metadata then publishes the certificate for signing too.
alter table sso_connections add column saml_sign_requests boolean not null default false;
alter table sso_connections add constraint sso_connections_signing_needs_key check (not saml_sign_requests or saml_sp_decryption_key_sealed is not null);

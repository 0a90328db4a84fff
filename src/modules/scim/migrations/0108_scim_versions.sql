-- Issue 18 part 4 (RFC 7644 §3.14): every SCIM user and group carries a version, raised by each
-- change the directory makes (a user's also when its group memberships change), answered as the
-- resource's ETag and meta.version, and checked against If-Match on PUT, PATCH and DELETE.
alter table scim_users add column version integer not null default 1 check (version >= 1);
alter table scim_groups add column version integer not null default 1 check (version >= 1);

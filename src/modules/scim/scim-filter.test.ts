import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScimError } from './scim-error.ts';
import { FILTER_LIMITS, parseFilter } from './scim-filter.ts';
import { operationsOf, patchGroup, patchUser, type UserState } from './scim-patch.ts';

const refusedAs = (scimType: string) => (error: unknown) => error instanceof ScimError && error.status === 400 && error.scimType === scimType;

describe('scim: the filter parser (RFC 7644 §3.4.2.2)', () => {
  it('parses comparisons, presence, and/or/not with RFC precedence (and binds tighter than or), and value paths', () => {
    assert.deepEqual(parseFilter('userName eq "bjensen"'), { op: 'compare', attr: 'username', compare: 'eq', value: 'bjensen' });
    assert.deepEqual(parseFilter('title pr'), { op: 'present', attr: 'title' });
    assert.deepEqual(parseFilter('a eq "1" or b eq "2" and c eq "3"'), {
      op: 'or',
      left: { op: 'compare', attr: 'a', compare: 'eq', value: '1' },
      right: { op: 'and', left: { op: 'compare', attr: 'b', compare: 'eq', value: '2' }, right: { op: 'compare', attr: 'c', compare: 'eq', value: '3' } },
    });
    assert.deepEqual(parseFilter('not (active eq true)'), { op: 'not', filter: { op: 'compare', attr: 'active', compare: 'eq', value: true } });
    assert.deepEqual(parseFilter('urn:ietf:params:scim:schemas:core:2.0:User:userName EQ "x"'), { op: 'compare', attr: 'username', compare: 'eq', value: 'x' });
    assert.deepEqual(parseFilter('emails[type eq "work"].value eq "a@b.c"'), {
      op: 'valuePath',
      attr: 'emails',
      filter: { op: 'and', left: { op: 'compare', attr: 'type', compare: 'eq', value: 'work' }, right: { op: 'compare', attr: 'value', compare: 'eq', value: 'a@b.c' } },
    });
    assert.deepEqual(parseFilter('name.familyName co "O\'Malley \\"x\\""'), { op: 'compare', attr: 'name.familyname', compare: 'co', value: 'O\'Malley "x"' });
  });

  it('refuses malformed, over-long, over-deep and over-wide filters as invalidFilter', () => {
    for (const bad of ['', 'userName', 'userName eq', 'userName eq "x" and', 'userName = "x"', '"x" eq userName', 'userName eq "x")', 'a[b[c eq "1"]]', 'a.b.c eq "1"', 'userName eq "unterminated']) {
      assert.throws(() => parseFilter(bad), refusedAs('invalidFilter'), bad);
    }
    assert.throws(() => parseFilter(`a eq "${'x'.repeat(FILTER_LIMITS.maxLength)}"`), refusedAs('invalidFilter'));
    assert.throws(() => parseFilter(`${'('.repeat(FILTER_LIMITS.maxDepth + 1)}a pr${')'.repeat(FILTER_LIMITS.maxDepth + 1)}`), refusedAs('invalidFilter'));
    assert.doesNotThrow(() => parseFilter(`${'('.repeat(FILTER_LIMITS.maxDepth)}a pr${')'.repeat(FILTER_LIMITS.maxDepth)}`));
    assert.throws(() => parseFilter(Array.from({ length: FILTER_LIMITS.maxTerms + 1 }, () => 'a pr').join(' and ')), refusedAs('invalidFilter'));
  });
});

describe('scim: PATCH as Okta and Entra send it (RFC 7644 §3.5.2)', () => {
  const user: UserState = { userName: 'a@x.org', externalId: null, displayName: null, givenName: null, familyName: null, emails: [{ value: 'a@x.org', type: 'work', primary: true }], active: true };
  const ops = (...operations: object[]) => operationsOf({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: operations as never });

  it('takes capitalised ops, "False" strings, path-less objects, sub-attributes and value paths; ignores attributes it does not keep', () => {
    const next = patchUser(user, ops({ op: 'Replace', path: 'active', value: 'False' }, { op: 'Add', path: 'name.givenName', value: 'Ann' }, { op: 'Replace', path: 'emails[type eq "work"].value', value: 'b@x.org' }, { op: 'Add', path: 'title', value: 'CTO' }));
    assert.equal(next.active, false);
    assert.equal(next.givenName, 'Ann');
    assert.deepEqual(next.emails, [{ value: 'b@x.org', type: 'work', primary: true }]);
    assert.equal(patchUser(next, ops({ op: 'replace', value: { active: true, name: { familyName: 'Lee' } } })).familyName, 'Lee');
    assert.deepEqual(patchUser(user, ops({ op: 'Add', path: 'emails[type eq "home"].value', value: 'h@x.org' })).emails.map((e) => e.type), ['work', 'home']);
    assert.equal(user.active, true, 'the input is not changed');
  });

  it('adds and removes group members by value list and by value path; refuses unknown ops and malformed member ids', () => {
    const id1 = crypto.randomUUID();
    const id2 = crypto.randomUUID();
    const group = { displayName: 'G', externalId: null, members: [] as string[] };
    const added = patchGroup(group, ops({ op: 'Add', path: 'members', value: [{ value: id1 }, { value: id2 }] }));
    assert.deepEqual(added.members, [id1, id2]);
    assert.deepEqual(patchGroup(added, ops({ op: 'remove', path: `members[value eq "${id1}"]` })).members, [id2]);
    assert.deepEqual(patchGroup(added, ops({ op: 'Remove', path: 'members', value: [{ value: id2 }] })).members, [id1]);
    assert.throws(() => ops({ op: 'move', path: 'members' }), refusedAs('invalidSyntax'));
    assert.throws(() => patchGroup(group, ops({ op: 'add', path: 'members', value: [{ value: "1' or '1'='1" }] })), refusedAs('invalidValue'));
    assert.throws(() => patchGroup(group, ops({ op: 'add', path: 'owner', value: 'x' })), refusedAs('invalidPath'));
  });
});

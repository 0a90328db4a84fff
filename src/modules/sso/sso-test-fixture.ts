// Test-only: real identity providers in process — a SAML IdP (samlify) with openssl-made signing
// keys, an OpenID Provider (oidc-provider) on a loopback port, and a DNS server (dns2) answering
// TXT records on a loopback port.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as samlify from 'samlify';
import Provider from 'oidc-provider';
import dns2 from 'dns2';

export interface SigningPair {
  readonly keyPem: string;
  readonly certPem: string;
}

/** An RSA-2048 key and a self-signed certificate for it, made with the openssl CLI. */
export function signingPair(label: string): SigningPair {
  const dir = mkdtempSync(join(tmpdir(), 'parapet-saml-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1', '-subj', `/CN=${label}`], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  return { keyPem: readFileSync(join(dir, 'key.pem'), 'utf8'), certPem: readFileSync(join(dir, 'cert.pem'), 'utf8') };
}

// samlify parses only what the IdP receives; these tests give it no XML to parse, so its schema
// validator (which it insists on having) is never what decides anything here.
samlify.setSchemaValidator({ validate: () => Promise.resolve('skipped') });

export interface SamlIdp {
  readonly entityId: string;
  readonly ssoUrl: string;
  readonly metadata: string;
  /**
   * A signed login response (HTTP-POST binding, base64) for `email`, answering `requestId` (or
   * unsolicited), for the SP whose metadata is `spMetadata`; `tags` override template values.
   */
  respond(spMetadata: string, email: string, requestId: string | undefined, tags?: Record<string, string>): Promise<string>;
}

/** A SAML 2.0 IdP (samlify) signing its assertions with `pair` (and, with `encrypt`, encrypting them to the SP metadata's encryption certificate). */
export function samlIdp(pair: SigningPair, entityId = 'https://idp.example.test/saml', options: { encrypt?: boolean; groups?: boolean } = {}): SamlIdp {
  const ssoUrl = 'https://idp.example.test/sso';
  const idp = samlify.IdentityProvider({
    entityID: entityId,
    signingCert: pair.certPem,
    privateKey: pair.keyPem,
    // samlify's defaults: AES-256 for the data, RSA-OAEP for the key.
    isAssertionEncrypted: options.encrypt === true,
    nameIDFormat: ['urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'],
    singleSignOnService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', Location: ssoUrl }],
    loginResponseTemplate: {
      context: samlify.SamlLib.defaultLoginResponseTemplate.context.replace('{AuthnStatement}', '<saml:AuthnStatement AuthnInstant="{IssueInstant}"><saml:AuthnContext><saml:AuthnContextClassRef>{ClassRef}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>'),
      attributes: [
        { name: 'email', valueTag: 'email', nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic', valueXsiType: 'xs:string' },
        // With `groups`: one `groups` value per response, from the `attrGroups` tag.
        ...(options.groups === true ? [{ name: 'groups', valueTag: 'groups', nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic', valueXsiType: 'xs:string' }] : []),
      ],
    },
  });
  return {
    entityId,
    ssoUrl,
    metadata: idp.getMetadata(),
    respond: async (spMetadata, email, requestId, tags = {}) => {
      const sp = samlify.ServiceProvider({ metadata: spMetadata });
      const now = new Date();
      const later = new Date(now.getTime() + 5 * 60_000).toISOString();
      const replace = (template: string): { id: string; context: string } => {
        const id = `_${crypto.randomUUID()}`;
        const values: Record<string, string> = {
          ID: id,
          AssertionID: `_${crypto.randomUUID()}`,
          Destination: sp.entityMeta.getAssertionConsumerService('post') as string,
          Audience: sp.entityMeta.getEntityID(),
          SubjectRecipient: sp.entityMeta.getAssertionConsumerService('post') as string,
          NameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
          NameID: email,
          Issuer: entityId,
          IssueInstant: now.toISOString(),
          StatusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
          ConditionsNotBefore: new Date(now.getTime() - 60_000).toISOString(),
          ConditionsNotOnOrAfter: later,
          SubjectConfirmationDataNotOnOrAfter: later,
          InResponseTo: requestId ?? '',
          ClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
          attrEmail: email,
          attrGroups: '',
          ...tags,
        };
        let context = template;
        for (const [key, value] of Object.entries(values)) context = context.replaceAll(`{${key}}`, value);
        if (requestId === undefined) context = context.replaceAll(' InResponseTo=""', '');
        return { id, context };
      };
      const response = await idp.createLoginResponse(sp, { extract: { request: { id: requestId ?? '' } } }, 'post', { email }, replace);
      return response.context;
    },
  };
}

export interface OidcIdp {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Follows the authorization URL as the user `email` would, returning the redirect back to the RP. */
  authorize(authorizationUrl: string, email: string): Promise<string>;
  close(): Promise<void>;
}

/** An OpenID Provider (oidc-provider) on 127.0.0.1 with one confidential client; the interaction signs in the account named by `login_hint`. */
export async function oidcIdp(options: { amr?: string[]; emailVerified?: boolean } = {}): Promise<OidcIdp & { allowRedirects(uris: string[]): void; setGroups(email: string, groups: string[]): void; setNextAccount(email: string): void }> {
  // The `groups` claim each account carries in its ID token (none unless set).
  const groups = new Map<string, string[]>();
  // Who signs in when the authorization request names nobody (a browser's sign-in carries no login_hint).
  let nextAccount = '';
  const clientId = 'parapet-test';
  const clientSecret = 'a-client-secret-for-tests-only-0123456789';
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let provider: Provider | undefined;
  // The client's redirect URIs name the connection, known only once it exists: the provider is (re)built then.
  const build = (redirectUris: string[]): Provider => {
    const built = new Provider(issuer, {
      clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: redirectUris, grant_types: ['authorization_code'], response_types: ['code'] }],
      pkce: { required: () => true },
      claims: { openid: ['sub', 'amr', 'groups'], email: ['email', 'email_verified'] },
      conformIdTokenClaims: false,
      scopes: ['openid', 'email', 'profile'],
      features: { devInteractions: { enabled: false } },
      findAccount: (_ctx, id) => Promise.resolve({ accountId: id, claims: () => ({ sub: id, email: id, email_verified: options.emailVerified ?? true, ...(groups.has(id) ? { groups: groups.get(id) } : {}) }) }),
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      cookies: { keys: ['test-cookie-key-0123456789'] },
    });
    return built;
  };
  server.on('request', (req, res) => {
    const current = provider;
    if (current === undefined) {
      res.statusCode = 503;
      res.end();
      return;
    }
    const match = /^\/interaction\/([^/?]+)/.exec(req.url ?? '');
    if (match === null) {
      void current.callback()(req, res);
      return;
    }
    void (async () => {
      const details = await current.interactionDetails(req, res);
      const hint = details.params['login_hint'];
      const account = typeof hint === 'string' ? hint : nextAccount;
      const grant = new current.Grant({ accountId: account, clientId });
      grant.addOIDCScope('openid email profile');
      const grantId = await grant.save();
      await current.interactionFinished(req, res, { login: { accountId: account, amr: options.amr ?? ['pwd'] }, consent: { grantId } }, { mergeWithLastSubmission: false });
    })().catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });
  async function follow(url: string, jar: Map<string, string>): Promise<string> {
    let next = url;
    for (let hop = 0; hop < 10; hop++) {
      if (!next.startsWith(issuer)) return next;
      const response = await fetch(next, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const eq = pair?.indexOf('=') ?? -1;
        if (pair !== undefined && eq > 0) jar.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
      const location = response.headers.get('location');
      if (location === null) throw new Error(`the IdP answered ${response.status} without a redirect: ${(await response.text()).slice(0, 300)}`);
      next = new URL(location, next).href;
    }
    throw new Error('too many redirects at the IdP');
  }
  return {
    issuer,
    clientId,
    clientSecret,
    allowRedirects: (uris) => {
      provider = build(uris);
    },
    setGroups: (email, list) => {
      groups.set(email, list);
    },
    setNextAccount: (email) => {
      nextAccount = email;
    },
    authorize: (authorizationUrl, email) => {
      const url = new URL(authorizationUrl);
      url.searchParams.set('login_hint', email);
      return follow(url.href, new Map());
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

export interface TestDns {
  readonly server: string;
  /** Sets the TXT records of a name. */
  setTxt(name: string, values: string[]): void;
  /** Sets the A records (IPv4 addresses) of a name. */
  setA(name: string, addresses: string[]): void;
  close(): Promise<void>;
}

/** A DNS server (dns2, UDP) on 127.0.0.1 answering TXT and A queries from in-memory tables. */
export async function testDns(): Promise<TestDns> {
  const records = new Map<string, string[]>();
  const addresses = new Map<string, string[]>();
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = dns2.Packet.createResponseFromRequest(request);
      const question = request.questions[0];
      if (question?.type === dns2.Packet.TYPE.A) {
        for (const address of addresses.get(question.name.toLowerCase()) ?? []) {
          response.answers.push({ name: question.name, type: dns2.Packet.TYPE.A, class: dns2.Packet.CLASS.IN, ttl: 60, address } as (typeof response.answers)[number]);
        }
      } else if (question !== undefined && question.type === dns2.Packet.TYPE.TXT) {
        for (const data of records.get(question.name.toLowerCase()) ?? []) {
          // dns2's type lists `toBuffer` on records it serializes itself from these plain fields.
          response.answers.push({ name: question.name, type: dns2.Packet.TYPE.TXT, class: dns2.Packet.CLASS.IN, ttl: 60, data } as (typeof response.answers)[number]);
        }
      }
      void send(response);
    },
  });
  const listening = await server.listen({ udp: { port: 0, address: '127.0.0.1' } });
  const port = (listening.udp as AddressInfo).port;
  return {
    server: `127.0.0.1:${port}`,
    setTxt: (name, values) => records.set(name.toLowerCase(), values),
    setA: (name, values) => addresses.set(name.toLowerCase(), values),
    close: () => server.close(),
  };
}

export interface FetchCertificates {
  readonly caFile: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** A throwaway CA (openssl) and a server certificate it issued for `*.example.test` and `*.example.org` (the hosts the fetch tests serve). */
export function fetchCertificates(): FetchCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'parapet-sso-tls-'));
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=Parapet SSO Test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  run(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=idp.example.test']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:*.example.test,DNS:*.example.org\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'server.ext']);
  return { caFile: join(dir, 'ca.pem'), certPem: readFileSync(join(dir, 'server.pem'), 'utf8'), keyPem: readFileSync(join(dir, 'server.key'), 'utf8') };
}

export interface TestHttpsHost {
  readonly port: number;
  /** Requests received, as `host path`. */
  readonly hits: string[];
  close(): Promise<void>;
}

/** An HTTPS server on `address` answering `routes[path](host)` (undefined: 404; a string starting with `redirect:`: 302 there). */
export async function httpsHost(address: string, port: number, certs: FetchCertificates, routes: Record<string, (host: string) => string | undefined>): Promise<TestHttpsHost> {
  const hits: string[] = [];
  const server = createHttpsServer({ cert: certs.certPem, key: certs.keyPem }, (req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    hits.push(`${host} ${req.url ?? ''}`);
    const body = routes[req.url ?? '']?.(host);
    if (body === undefined) res.writeHead(404).end();
    else if (body.startsWith('redirect:')) res.writeHead(302, { location: body.slice('redirect:'.length) }).end();
    else res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    close: () => new Promise<void>((resolve) => { server.close(() => { resolve(); }); }),
  };
}

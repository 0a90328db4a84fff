import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, describeConfig, loadConfig, maskSecret } from './index.ts';

describe('loadConfig', () => {
  it('uses documented defaults when nothing is set', () => {
    const config = loadConfig({ env: {} });
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 4000);
    assert.equal(config.dataDir, './.parapet');
    assert.equal(config.publicUrl, 'http://127.0.0.1:4000');
    assert.equal(config.keyringPath, './.parapet/keyring.json');
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.passwordMinLength, 12);
  });

  it('database pool, LISTEN URL and Redis prefix: defaults, the prefix derived from the database name, bad values named', () => {
    const defaults = loadConfig({ env: {} });
    assert.equal(defaults.databasePoolSize, 10);
    assert.equal(defaults.databaseListenUrl, undefined);
    assert.equal(defaults.redisPrefix, 'parapet:embedded:');
    const server = loadConfig({ env: { PARAPET_DATABASE_URL: 'postgres://parapet_app@db.internal:6432/billing_prod', PARAPET_DATABASE_POOL_SIZE: '25', PARAPET_DATABASE_LISTEN_URL: 'postgres://parapet_app@db.internal:5432/billing_prod' } });
    assert.equal(server.redisPrefix, 'parapet:billing_prod:');
    assert.equal(server.databasePoolSize, 25);
    assert.equal(server.databaseListenUrl, 'postgres://parapet_app@db.internal:5432/billing_prod');
    assert.equal(loadConfig({ env: { PARAPET_DATABASE_URL: 'postgres://parapet_app@db/p', PARAPET_REDIS_PREFIX: 'acme:eu:' } }).redisPrefix, 'acme:eu:');
    assert.throws(() => loadConfig({ env: { PARAPET_DATABASE_POOL_SIZE: '0' } }), /PARAPET_DATABASE_POOL_SIZE/);
    assert.throws(() => loadConfig({ env: { PARAPET_REDIS_PREFIX: 'has space*' } }), /PARAPET_REDIS_PREFIX/);
    assert.throws(() => loadConfig({ env: { PARAPET_DATABASE_LISTEN_URL: 'postgres://h/db?sslmode=prefer' } }), /PARAPET_DATABASE_LISTEN_URL/);
  });

  it('TLS options: HTTPS public URL by default, validated together, each error naming the option', () => {
    const tls = { PARAPET_TLS_CERT_FILE: '/etc/parapet/cert.pem', PARAPET_TLS_KEY_FILE: '/etc/parapet/key.pem' };
    const config = loadConfig({ env: { ...tls, PARAPET_PORT: '8443', PARAPET_HTTP_REDIRECT_PORT: '8080' } });
    assert.equal(config.publicUrl, 'https://127.0.0.1:8443');
    assert.equal(config.httpRedirectPort, 8080);
    assert.equal(config.hstsIncludeSubdomains, false);
    assert.throws(() => loadConfig({ env: { PARAPET_TLS_CERT_FILE: '/c.pem' } }), /PARAPET_TLS_CERT_FILE and PARAPET_TLS_KEY_FILE must be set together/);
    assert.throws(() => loadConfig({ env: { ...tls, PARAPET_PUBLIC_URL: 'http://parapet.example' } }), /PARAPET_PUBLIC_URL: "http:\/\/parapet.example" must be an https:\/\/ URL/);
    assert.throws(() => loadConfig({ env: { PARAPET_HTTP_REDIRECT_PORT: '80' } }), /PARAPET_HTTP_REDIRECT_PORT needs PARAPET_TLS_CERT_FILE/);
    assert.throws(() => loadConfig({ env: { ...tls, PARAPET_PORT: '443', PARAPET_HTTP_REDIRECT_PORT: '443' } }), /PARAPET_HTTP_REDIRECT_PORT must differ from PARAPET_PORT/);
    assert.throws(() => loadConfig({ env: { ...tls, PARAPET_HTTP_REDIRECT_PORT: 'eighty' } }), /PARAPET_HTTP_REDIRECT_PORT: "eighty" is not allowed/);
    assert.throws(() => loadConfig({ env: { PARAPET_HSTS_INCLUDE_SUBDOMAINS: 'yes' } }), /PARAPET_HSTS_INCLUDE_SUBDOMAINS: "yes" is not allowed: expected true or false/);
  });

  it('ENC-7 database URLs: sslmode is checked, the downgradable allow/prefer are refused', () => {
    assert.equal(loadConfig({ env: { PARAPET_DATABASE_URL: 'postgres://app@db.example/parapet?sslmode=verify-full', PARAPET_DATABASE_CA_FILE: '/etc/parapet/db-ca.pem' } }).databaseCaFile, '/etc/parapet/db-ca.pem');
    assert.throws(() => loadConfig({ env: { PARAPET_DATABASE_URL: 'postgres://app@db.example/parapet?sslmode=prefer' } }), /PARAPET_DATABASE_URL: \(secret\) is not allowed: sslmode must be one of disable, require, verify-ca, verify-full/);
    assert.throws(() => loadConfig({ env: { PARAPET_MIGRATION_DATABASE_URL: 'postgres://o@db.example/parapet?sslmode=allow' } }), /PARAPET_MIGRATION_DATABASE_URL.*sslmode/);
  });

  it('returns a frozen object', () => {
    const config = loadConfig({ env: {} });
    assert.ok(Object.isFrozen(config));
    assert.throws(() => {
      (config as { port: number }).port = 1;
    });
  });

  it('derives dependent defaults from set values and lets the environment win over the file', () => {
    const config = loadConfig({ env: { PARAPET_PORT: '8080', PARAPET_DATA_DIR: '/var/lib/parapet' }, file: { port: 9090, logLevel: 'debug' }, fileName: 'p.json' });
    assert.equal(config.port, 8080);
    assert.equal(config.logLevel, 'debug');
    assert.equal(config.publicUrl, 'http://127.0.0.1:8080');
    assert.equal(config.keyringPath, '/var/lib/parapet/keyring.json');
  });

  it('names the bad key and what is allowed', () => {
    assert.throws(() => loadConfig({ env: { PARAPET_PORT: 'eighty' } }), (error: Error) => error instanceof ConfigError && /PARAPET_PORT: "eighty" is not allowed: expected a whole number from 0 to 65535/.test(error.message));
    assert.throws(() => loadConfig({ env: { PARAPET_LOG_LEVEL: 'loud' } }), /PARAPET_LOG_LEVEL.*expected one of fatal, error/);
    assert.throws(() => loadConfig({ env: { PARAPET_PASSWORD_MIN_LENGTH: '6' } }), /PARAPET_PASSWORD_MIN_LENGTH.*from 8 to 64/);
    assert.throws(() => loadConfig({ env: { PARAPET_PUBLIC_URL: 'ftp://x' } }), /PARAPET_PUBLIC_URL/);
    assert.throws(() => loadConfig({ env: {}, file: { port: 'x' }, fileName: 'p.json' }), /p.json key "port"/);
  });

  it('refuses unknown PARAPET_ variables and unknown file keys, so typos do not fall back to defaults', () => {
    assert.throws(() => loadConfig({ env: { PARAPET_PROT: '1' } }), /PARAPET_PROT: unknown option/);
    assert.throws(() => loadConfig({ env: {}, file: { prot: 1 }, fileName: 'p.json' }), /p.json: unknown key "prot"/);
  });

  it('never prints a secret value, even in an error', () => {
    assert.throws(
      () => loadConfig({ env: { PARAPET_DATABASE_URL: 'mysql://u:hunter2hunter2@h/db' } }),
      (error: Error) => /PARAPET_DATABASE_URL: \(secret\) is not allowed/.test(error.message) && !error.message.includes('hunter2'),
    );
    const config = loadConfig({ env: { PARAPET_DATABASE_URL: 'postgres://app:hunter2hunter2@db:5432/parapet', PARAPET_METRICS_TOKEN: 'hunter2hunter2' } });
    const printed = JSON.stringify(describeConfig(config));
    assert.ok(!printed.includes('hunter2'));
    assert.match(printed, /postgres:\/\/app:\*{5}@db:5432\/parapet/);
  });

  it('masks URL passwords and whole opaque secrets', () => {
    assert.equal(maskSecret('redis://:pw@localhost:6379'), 'redis://:*****@localhost:6379');
    assert.equal(maskSecret('plain-token'), '*****');
  });
});

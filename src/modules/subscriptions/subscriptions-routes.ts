import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/http/errors.ts';
import { acceptFormBodies, formField, formFields } from '../../platform/http/form-body.ts';
import { requestSource, requireUser } from '../../platform/http/request-context.ts';
import { Email, errorResponses, Nullable, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { FEED_TYPES, feedEtag, ifNoneMatchHits, renderAtom, renderJsonFeed, renderRss, type FeedFormat } from './feeds.ts';
import { feedBasePath, renderNotice, renderTokenForm, TOPIC_PAGES } from './subscribe-pages.ts';
import { TOPIC_TITLES, type Subscriptions } from './subscriptions-service.ts';
import { TOPICS, type Topic } from './subscriptions-tables.ts';

const TopicSchema = Type.Union([Type.Literal('status'), Type.Literal('subprocessors')]);
const Token = Type.String({ minLength: 1, maxLength: 200 });
const FORM_LIMIT = 16 * 1024;
const EMAIL_SHAPE = /^[^\s@]{1,64}@[^\s@]{1,189}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function requirePlatformAdmin(request: FastifyRequest): void {
  if (!requireUser(request).isPlatformAdmin) throw new AppError('forbidden', { detail: 'Only a platform administrator can do this.' });
}

/** The public subscribe/confirm/unsubscribe/objection API and forms, the feeds, and the administrators' lists. */
export function registerSubscriptionRoutes(server: FastifyInstance, deps: { subscriptions: Subscriptions; publicUrl: string }): void {
  const { subscriptions, publicUrl } = deps;
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['subscriptions'];
  // The stricter per-IP limit of credential endpoints: each request may send a mail.
  const publicConfig = { permission: 'public' as const, rateLimit: 'auth' as const };
  const page = (reply: FastifyReply, body: string, status = 200) => reply.status(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body);

  app.post('/api/v1/subscriptions', {
    config: publicConfig,
    bodyLimit: FORM_LIMIT,
    schema: {
      tags,
      summary: 'Subscribe an address or a webhook to a topic; nothing is sent until the mailed link is used (the answer never tells whether the address was subscribed)',
      body: Strict({ topic: TopicSchema, email: Email, webhook_url: Type.Optional(Type.String({ minLength: 9, maxLength: 2000 })), components: Type.Optional(Type.Array(Uuid, { maxItems: 50 })) }),
      response: { 202: Strict({ status: Type.Literal('confirmation_sent'), webhook_secret: Type.Optional(Type.String({ description: 'The Standard Webhooks signing secret (whsec_…), shown this once' })) }), ...errorResponses(400, 429) },
    },
    handler: async (request, reply) => {
      const body = request.body;
      const result = await subscriptions.subscribe({ topic: body.topic, channel: body.webhook_url === undefined ? 'email' : 'webhook', email: body.email, url: body.webhook_url, components: body.components, source: requestSource(request) });
      return reply.status(202).send({ status: 'confirmation_sent' as const, ...(result.secret === undefined ? {} : { webhook_secret: result.secret }) });
    },
  });

  app.post('/api/v1/subscriptions/confirm', {
    config: publicConfig,
    schema: { tags, summary: 'Use a confirmation link (once, within 48 hours)', body: Strict({ token: Token }), response: { 200: Strict({ status: Type.Literal('active'), topic: TopicSchema }), ...errorResponses(400, 429) } },
    handler: async (request) => ({ status: 'active' as const, topic: (await subscriptions.confirm(request.body.token, requestSource(request))).topic }),
  });

  app.post('/api/v1/subscriptions/unsubscribe', {
    config: publicConfig,
    schema: { tags, summary: 'Use a signed unsubscribe link: the subscription ends and its contact details are erased', body: Strict({ token: Token }), response: { 200: Strict({ status: Type.Literal('unsubscribed') }), ...errorResponses(400, 429) } },
    handler: async (request) => {
      await subscriptions.unsubscribe(request.body.token, requestSource(request));
      return { status: 'unsubscribed' as const };
    },
  });

  app.post('/api/v1/subscriptions/objections', {
    config: publicConfig,
    schema: { tags, summary: 'Object to an announced subprocessor change through its signed link, until it takes effect (TR-3)', body: Strict({ token: Token, reason: Type.Optional(Type.String({ maxLength: 2000 })) }), response: { 201: Strict({ status: Type.Literal('recorded') }), ...errorResponses(400, 409, 429) } },
    handler: async (request, reply) => {
      await subscriptions.object(request.body.token, request.body.reason ?? '', requestSource(request));
      return reply.status(201).send({ status: 'recorded' as const });
    },
  });

  // The same as plain HTML forms (no script); answers are our own text, never the visitor's input.
  void server.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    acceptFormBodies(scope, { bodyLimit: FORM_LIMIT });
    const form = formFields;
    const config = { auth: 'public' as const, rateLimit: 'auth' as const };
    const field = (value: string | undefined, max: number, pattern?: RegExp) => formField(value, max, pattern === undefined ? {} : { pattern });

    scope.post('/subscriptions/subscribe', { config, schema: { hide: true } }, async (request, reply) => {
      const f = form(request);
      const topic = field(f['topic'], 20);
      if (!(TOPICS as readonly string[]).includes(topic)) throw new AppError('invalid_request', { detail: 'Unknown topic.' });
      const components = Object.keys(f).filter((k) => k.startsWith('component.')).map((k) => k.slice('component.'.length));
      if (!components.every((c) => UUID.test(c))) throw new AppError('subscription_component_unknown');
      await subscriptions.subscribe({ topic: topic as Topic, channel: 'email', email: field(f['email'], 254, EMAIL_SHAPE), components, source: requestSource(request) });
      return page(reply, renderNotice('Check your mail', ['If the address can receive mail, we sent it a link to confirm the subscription. Nothing is sent to it before the link is used.', 'The link works for 48 hours.']), 202);
    });
    for (const action of ['confirm', 'unsubscribe', 'object'] as const) {
      scope.get(`/subscriptions/${action}`, { config: { auth: 'public' }, schema: { hide: true } }, async (request, reply) => {
        const token = (request.query as Record<string, unknown>)['token'];
        return page(reply, renderTokenForm(action, typeof token === 'string' && token.length <= 200 ? token : ''));
      });
    }
    scope.post('/subscriptions/confirm', { config, schema: { hide: true } }, async (request, reply) => {
      const { topic } = await subscriptions.confirm(field(form(request)['token'], 200), requestSource(request));
      return page(reply, renderNotice('Subscribed', [`You will receive notices about ${TOPIC_TITLES[topic]}. Each one has a link to unsubscribe.`]));
    });
    scope.post('/subscriptions/unsubscribe', { config, schema: { hide: true } }, async (request, reply) => {
      await subscriptions.unsubscribe(field(form(request)['token'], 200), requestSource(request));
      return page(reply, renderNotice('Unsubscribed', ['You will receive no more notices, and your address was erased from the list.']));
    });
    scope.post('/subscriptions/object', { config, schema: { hide: true } }, async (request, reply) => {
      const f = form(request);
      await subscriptions.object(field(f['token'], 200), f['reason'] === undefined ? '' : field(f['reason'], 2000), requestSource(request));
      return page(reply, renderNotice('Objection recorded', ['Your objection to this change was recorded and will be reviewed before it takes effect.']));
    });
  });

  // Feeds: RSS 2.0, Atom, JSON Feed 1.1, each with an ETag (RFC 9110 §13.1.2: If-None-Match → 304).
  for (const topic of TOPICS) {
    for (const format of ['rss', 'atom', 'json'] as const satisfies readonly FeedFormat[]) {
      server.get(`${feedBasePath(topic)}.${format}`, { config: { auth: 'public' }, schema: { hide: true } }, async (request, reply) => {
        const items = await subscriptions.items(topic);
        const etag = feedEtag(format, items);
        reply.header('etag', etag).header('cache-control', 'public, max-age=60');
        if (ifNoneMatchHits(request.headers['if-none-match'], etag)) return reply.status(304).send();
        const info = { topic, title: TOPIC_TITLES[topic], pageUrl: `${publicUrl}${TOPIC_PAGES[topic]}`, feedBase: `${publicUrl}${feedBasePath(topic)}` };
        const body = format === 'rss' ? renderRss(info, items) : format === 'atom' ? renderAtom(info, items) : renderJsonFeed(info, items);
        return reply.type(FEED_TYPES[format]).send(body);
      });
    }
  }

  const SubscriberView = Strict({ id: Uuid, channel: Type.String(), email: Nullable(Type.String()), webhook_url: Nullable(Type.String()), components: Type.Array(Type.String()), status: Type.String(), created_at: Timestamp, confirmed_at: Nullable(Timestamp) });
  app.get('/api/v1/platform/subscriptions/subscribers', {
    config: { permission: 'self' },
    schema: { tags, summary: 'Subscribers of a topic, without webhook secrets (platform administrators)', querystring: Strict({ topic: TopicSchema }), response: { 200: Strict({ items: Type.Array(SubscriberView) }), ...errorResponses(400, 401, 403) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      const rows = await subscriptions.subscribers(request.query.topic);
      return { items: rows.map((r) => ({ id: r.id, channel: r.channel, email: r.email, webhook_url: r.url, components: r.components, status: r.status, created_at: r.created_at.toISOString(), confirmed_at: r.confirmed_at?.toISOString() ?? null })) };
    },
  });

  app.get('/api/v1/platform/subscriptions/items/:itemId/objections', {
    config: { permission: 'self' },
    schema: {
      tags,
      summary: 'Objections recorded against an announced subprocessor change (platform administrators)',
      params: Strict({ itemId: Uuid }),
      response: { 200: Strict({ item_id: Uuid, title: Type.String(), effective_at: Nullable(Timestamp), items: Type.Array(Strict({ subscriber_id: Uuid, contact: Type.String(), reason: Type.String(), created_at: Timestamp })) }), ...errorResponses(401, 403, 404) },
    },
    handler: async (request) => {
      requirePlatformAdmin(request);
      const { item, objections } = await subscriptions.objections(request.params.itemId.toLowerCase());
      return { item_id: item.id, title: item.title, effective_at: item.effective_at?.toISOString() ?? null, items: objections.map((o) => ({ ...o, created_at: o.created_at.toISOString() })) };
    },
  });
}

/** `POST /v1/publish`: publish a message as the broker itself. */
import type { FastifyInstance } from 'fastify';
import type { BrokerAdmin, PublishRequest } from '../../broker/index.js';
import { GatehouseError } from '../../core/index.js';
import { commonErrors, ErrorBody, PublishAccepted, PublishBody } from '../schemas.js';

export function registerPublishRoutes(app: FastifyInstance, admin: BrokerAdmin): void {
  app.post<{ Body: PublishBody }>('/v1/publish', {
    schema: {
      tags: ['messages'],
      summary: 'Publish a message; answers once a QoS 1/2 message is durable',
      body: PublishBody,
      response: { 202: PublishAccepted, ...commonErrors, 413: ErrorBody },
    },
  }, async (request, reply) => {
    const publish = toPublishRequest(request.body);
    await admin.publish(publish);
    return reply.code(202).send({ topic: publish.topic, qos: publish.qos, retain: publish.retain, bytes: publish.payload.length });
  });
}

/** Decodes the JSON body into the broker's request; bad base64 is the client's mistake, named by field. */
export function toPublishRequest(body: PublishBody): PublishRequest {
  const payload = body.payloadEncoding === 'base64'
    ? decodeBase64('payload', body.payload ?? '')
    : Buffer.from(body.payload ?? '', 'utf8');
  const properties = {
    ...(body.contentType === undefined ? {} : { contentType: body.contentType }),
    ...(body.responseTopic === undefined ? {} : { responseTopic: body.responseTopic }),
    ...(body.correlationData === undefined ? {} : { correlationData: decodeBase64('correlationData', body.correlationData) }),
    ...(body.userProperties === undefined ? {} : { userProperties: body.userProperties }),
    ...(body.messageExpiryInterval === undefined ? {} : { messageExpiryInterval: body.messageExpiryInterval }),
  };
  return {
    topic: body.topic,
    ...(body.tenant === undefined ? {} : { tenant: body.tenant }),
    payload,
    qos: body.qos ?? 0,
    retain: body.retain ?? false,
    ...(Object.keys(properties).length === 0 ? {} : { properties }),
  };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

/** Buffer.from(…, 'base64') skips bad characters silently; an operator's typo should fail instead. */
function decodeBase64(field: string, text: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (!BASE64.test(compact)) throw new GatehouseError('BAD_REQUEST', { reason: `body.${field} is not valid base64` });
  return Buffer.from(compact, 'base64');
}

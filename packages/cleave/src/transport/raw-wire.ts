import { errors } from '../errors/framework-errors.ts';
import { isRawMessage } from '../module/raw-body.ts';

/**
 * Raw messages on the internal HTTP protocol (module/raw-body.ts): the `body` bytes are
 * the HTTP body, sent with the message's `contentType` (or application/octet-stream),
 * and every other field travels as percent-encoded JSON in the `cleave-fields` header.
 * The header's presence is what marks a raw message, for requests and answers alike,
 * so the callee needs no knowledge of the operation to read one. Base64 inside JSON
 * would cost a third more bytes and a copy on both sides.
 */
export const RAW_FIELDS_HEADER = 'cleave-fields';

/** Raw bodies on the internal listener: bounded, but far above any JSON call. */
export const INTERNAL_RAW_BODY_LIMIT_BYTES = 64 * 1024 * 1024;

export interface WireMessage {
  readonly headers: Record<string, string>;
  readonly body: Uint8Array | string;
}

/** Encodes a call's input or output: a raw message when it has bytes as `body`, else JSON. */
export function toWire(value: unknown): WireMessage {
  if (!isRawMessage(value)) return { headers: { 'content-type': 'application/json' }, body: JSON.stringify(value ?? {}) };
  const { body, ...fields } = value;
  const contentType = typeof fields.contentType === 'string' && fields.contentType !== '' ? fields.contentType : 'application/octet-stream';
  return { headers: { 'content-type': contentType, [RAW_FIELDS_HEADER]: encodeURIComponent(JSON.stringify(fields)) }, body };
}

/** Decodes a raw message from its fields header and body bytes. */
export function fromWire(fieldsHeader: string, body: Uint8Array): Record<string, unknown> {
  let fields: unknown;
  try {
    fields = JSON.parse(decodeURIComponent(fieldsHeader));
  } catch (err) {
    throw errors.MALFORMED_JSON(`the ${RAW_FIELDS_HEADER} header is not percent-encoded JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) throw errors.VALIDATION_FAILED(`the ${RAW_FIELDS_HEADER} header must hold a JSON object`);
  return { ...(fields as Record<string, unknown>), body };
}

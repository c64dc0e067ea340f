import { STATUS_CODES } from 'node:http';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { CleaveError } from '../errors/cleave-error.ts';
import { errors } from '../errors/framework-errors.ts';
import { PROBLEM_CONTENT_TYPE, problemBody } from '../errors/problem.ts';
import { newTraceContext } from '../telemetry/trace-context.ts';

/**
 * What Node's HTTP server answers by itself, before any handler runs, made to speak
 * problem+json like the rest of the edge (issue 12):
 *
 * - Parser errors (a duplicate Content-Length, CR or NUL in a header, a TLS ClientHello
 *   on the plain port…) get 400, oversized headers 431, and a request whose headers
 *   did not arrive within `headersTimeout` 408 — Node's own statuses, now with a body.
 * - More than one `Host` is 400 (RFC 9112 §3.2 says a server MUST); Node keeps the first.
 * - `Expect`: Node answers 100 to `100-continue` by itself and 417 to anything else. An
 *   empty `Expect` holds no expectation at all (RFC 9110 §10.1.1 lists members), so it
 *   is served as if absent; any other expectation keeps Node's 417, with a body.
 */
export function guardRequests(server: Server, listener: RequestListener): RequestListener {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // A reset or half-written response leaves nothing to answer on.
    if (err.code === 'ECONNRESET' || !socket.writable || (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    const error = err.code === 'HPE_HEADER_OVERFLOW'
      ? errors.HEADERS_TOO_LARGE('the request headers exceed the server limit')
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? errors.REQUEST_TIMEOUT('the request headers did not arrive in time')
        : errors.BAD_REQUEST('the request could not be parsed as HTTP/1.1');
    const body = problemBody(error, newTraceContext().traceId);
    socket.end(`HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\ncontent-type: ${PROBLEM_CONTENT_TYPE}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    if ((req.headers.expect ?? '').trim() === '') {
      listener(req, res);
      return;
    }
    refuse(res, errors.EXPECTATION_FAILED(`only "Expect: 100-continue" is supported`));
  });
  return (req, res) => {
    if (countHeader(req.rawHeaders, 'host') > 1) {
      refuse(res, errors.BAD_REQUEST('the request has more than one Host header'));
      return;
    }
    listener(req, res);
  };
}

function countHeader(raw: readonly string[], name: string): number {
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]?.toLowerCase() === name) count++;
  return count;
}

function refuse(res: ServerResponse, error: CleaveError): void {
  const body = problemBody(error, newTraceContext().traceId);
  res.writeHead(error.status, { 'content-type': PROBLEM_CONTENT_TYPE, 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
}

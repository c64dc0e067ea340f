import type { SpanAttributes } from './tracer.ts';

/**
 * Span attributes after the OpenTelemetry semantic conventions, so any collector's RPC and
 * messaging views understand Cleave's spans; `cleave.*` keeps what the conventions have no
 * name for. A call is RPC-style: `rpc.system` "cleave", `rpc.service` the callee module,
 * `rpc.method` the operation; an event handled by a subscriber is a messaging "process".
 */
export const RPC_SYSTEM = 'cleave';

/** The callee side of a call (in process or over HTTP): one per `ModuleRuntime.handle`. */
export function rpcServerAttributes(module: string, operation: string, caller: string): SpanAttributes {
  return { 'rpc.system': RPC_SYSTEM, 'rpc.service': module, 'rpc.method': operation, 'cleave.module': module, 'cleave.caller': caller };
}

/** The caller side of a call to another service over HTTP. */
export function rpcClientAttributes(module: string, operation: string, targetService: string, baseUrl: string): SpanAttributes {
  const url = new URL(baseUrl);
  return {
    'rpc.system': RPC_SYSTEM,
    'rpc.service': module,
    'rpc.method': operation,
    'server.address': url.hostname,
    'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    'cleave.transport': 'http',
    'cleave.target': targetService,
  };
}

/** A subscriber handling one event from its inbox (the effect's transaction). */
export function messagingProcessAttributes(event: string, eventId: string, subscriber: string, publisher: string, attempt: number): SpanAttributes {
  return {
    'messaging.system': RPC_SYSTEM,
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'process',
    'messaging.destination.name': event,
    'messaging.message.id': eventId,
    'messaging.consumer.group.name': subscriber,
    'cleave.module': subscriber,
    'cleave.publisher': publisher,
    'cleave.event_id': eventId,
    'cleave.attempt': attempt,
  };
}

/** One step (or compensation) of a saga, run by the owner module's saga runner. */
export function sagaStepAttributes(sagaId: string, saga: string, step: string, compensating: boolean): SpanAttributes {
  return { 'cleave.saga_id': sagaId, 'cleave.saga.name': saga, 'cleave.saga.step': step, 'cleave.saga.compensating': compensating };
}

/** One run of a background job by its module's worker. */
export function jobRunAttributes(module: string, job: string, jobId: string, attempt: number): SpanAttributes {
  return { 'cleave.module': module, 'cleave.job.name': job, 'cleave.job_id': jobId, 'cleave.attempt': attempt };
}

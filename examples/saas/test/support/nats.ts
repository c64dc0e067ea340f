import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/** Removes the stream (and so its consumers) a test deployment made under `namespace`. */
export async function deleteNatsNamespace(url: string, namespace: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(`cleave_${namespace}`).catch(() => false);
  } finally {
    await nc.close();
  }
}

/** A fresh namespace, so runs sharing one NATS server never see each other's events. */
export function natsNamespace(prefix: string): string {
  return `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
}

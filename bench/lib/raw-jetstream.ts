import { randomBytes } from 'node:crypto';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';
import type { ScenarioResult } from '../events-throughput.ts';
import { Receipts, runRawFloor } from './raw-floor.ts';
import type { PacedRun, RawFloorOptions } from './raw-floor.ts';

export interface RawJetStreamOptions extends RawFloorOptions {
  /** Messages per pull (the NATS transport's default fetch). */
  readonly fetchBatch: number;
  /** The light-load run after the timed one: how many messages, at what rate per second. */
  readonly paced: Pick<PacedRun, 'count' | 'rate'>;
}

/**
 * (a) The JetStream floor: a stream on a fresh subject namespace (file storage, a 2-minute
 * dedup window, as NatsEventTransport creates), messages published with a `msgID` in
 * pipelined batches (PubAcks awaited per batch, as the relay does), a durable pull
 * consumer fetching batches and acking every message.
 */
export async function rawJetStream(o: RawJetStreamOptions): Promise<ScenarioResult> {
  const id = randomBytes(4).toString('hex');
  const streamName = `bench_raw_${id}`;
  const prefix = `bench.raw_${id}`;
  const subject = `${prefix}.bench_publisher.user_updated_v1`;
  const nc = await connect({ servers: o.url, name: 'bench-raw' });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  try {
    await jsm.streams.add({ name: streamName, subjects: [`${prefix}.>`], duplicate_window: nanos(120_000) });
    await jsm.consumers.add(streamName, {
      durable_name: 'raw',
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: `${prefix}.bench_publisher.>`,
      ack_wait: nanos(30_000),
      max_deliver: -1,
    });
    const consumer = await js.consumers.get(streamName, 'raw');
    const total = o.warmup + o.n + o.paced.count;
    const receipts = new Receipts(o.n + o.paced.count);
    let fetches = 0;
    const consuming = (async () => {
      while (receipts.received < total) {
        const messages = await consumer.fetch({ max_messages: o.fetchBatch, expires: 1_000 });
        fetches++;
        for await (const m of messages) {
          receipts.record(m.json<{ i: number; sentAt: number }>());
          m.ack();
          if (receipts.received >= total) break;
        }
      }
    })();
    consuming.catch(() => {}); // on a failed run the connection closes under it: the run's error is the one to report
    const sendOne = (i: number) => js.publish(subject, o.payload(i), { msgID: `${id}-${i}`, timeout: 5_000 });
    const send = (first: number, end: number) => {
      const acks = [];
      for (let i = first; i < end; i++) acks.push(sendOne(i));
      return Promise.all(acks);
    };
    const result = await runRawFloor(o, receipts, send, {
      id: 'raw-jetstream',
      label: '(a) raw JetStream publish + pull consume, acks',
      verified: () => ({ fetches }),
      paced: { ...o.paced, sendOne },
      notes: [
        `publish: batches of ${o.batch} js.publish with msgID, PubAcks awaited together per batch; consume: durable pull consumer, fetch ${o.fetchBatch}, ack each message as it arrives`,
        "Cleave's NatsEventTransport (as of this run) reads with an ephemeral ack-free consumer and commits its stream position with the inbox rows, so the floor's broker does more per message (acks) than Cleave's",
        'latency: sentAt (performance.now() just before js.publish, in the payload) → message handed to the consumer',
      ],
    });
    await consuming;
    return result;
  } finally {
    await jsm.streams.delete(streamName).catch(() => false);
    await nc.close();
  }
}

import { SMTPServer } from 'smtp-server';
import { freePort } from './free-port.ts';

export interface ReceivedMail {
  readonly to: string[];
  readonly subject: string;
  readonly messageId: string;
  readonly raw: string;
}

/**
 * A real SMTP server (the smtp-server package) on loopback that keeps what it receives.
 * On `port` when given: an outage test points the app at a port first and starts the
 * server there later.
 */
export async function startSmtpSink(port?: number): Promise<{ url: string; received: ReceivedMail[]; stop(): Promise<void> }> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      stream.on('end', () => {
        // A long header (a digest's Message-ID names the address) is folded over lines: unfold it.
        const head = raw.split(/\r?\n\r?\n/, 1)[0]!.replace(/\r?\n[ \t]+/g, ' ');
        const header = (name: string) => new RegExp(`^${name}:[ \t]*(.*)$`, 'mi').exec(head)?.[1]?.trim() ?? '';
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), subject: header('Subject'), messageId: header('Message-ID'), raw });
        callback();
      });
    },
  });
  // A client killed mid-session (the crash tests SIGKILL notifications while it sends)
  // resets its connection; smtp-server reports that as an 'error' event, which unheard would
  // crash the test process. The sink only counts what arrived whole.
  server.on('error', () => {});
  const at = port ?? (await freePort());
  await new Promise<void>((resolve, reject) => {
    // A port reserved earlier may have been taken meanwhile: fail with the reason, not a hang.
    server.once('error', reject);
    server.listen(at, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { url: `smtp://127.0.0.1:${at}`, received, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

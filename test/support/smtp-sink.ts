import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  subject: string;
  text: string;
}

/** A real SMTP server on a free port that keeps what it receives (nodemailer talks to it as to any). */
export class SmtpSink {
  readonly inbox: ReceivedMail[] = [];
  private readonly server: SMTPServer;
  port = 0;

  constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, _session, callback) => {
        simpleParser(stream)
          .then((mail) => {
            const to = (Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : []).flatMap((a) =>
              a.value.map((v) => (v.address ?? '').toLowerCase()),
            );
            this.inbox.push({ to, subject: mail.subject ?? '', text: mail.text ?? '' });
            callback();
          })
          .catch((err: Error) => callback(err));
      },
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as { port: number }).port;
    return `smtp://127.0.0.1:${this.port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Mails to `address`, oldest first. */
  to(address: string): ReceivedMail[] {
    return this.inbox.filter((m) => m.to.includes(address.toLowerCase()));
  }

  /** The `token=` value of the newest mail to `address` whose subject matches. */
  tokenFor(address: string, subject: RegExp): string {
    const mail = [...this.to(address)].reverse().find((m) => subject.test(m.subject));
    if (!mail)
      throw new Error(
        `no mail matching ${String(subject)} to ${address}; inbox: ${JSON.stringify(this.inbox.map((m) => [m.to, m.subject]))}`,
      );
    const match = /[?&]token=([A-Za-z0-9_-]+)/.exec(mail.text);
    if (!match) throw new Error(`no token in mail: ${mail.text}`);
    return match[1];
  }
}

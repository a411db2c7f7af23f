import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { Transporter } from 'nodemailer';
import { AppConfig } from '../../config/config';
import { JobsService } from '../jobs/jobs.service';
import type { Tx } from '../database/database';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

const QUEUE = 'mail.send';

/**
 * Outgoing mail. `send` enqueues a job (inside the caller's transaction when given one, so a mail
 * goes out iff the change that caused it committed); the job delivers through SMTP_URL, or, with
 * no SMTP server configured, logs the mail and writes it under DATA_DIR/mail/.
 *
 * The queued job holds the whole mail in clear in the database: never `send` a secret. Mails
 * that carry one are built by their own job at delivery time and go out through `deliver` (see
 * auth's TokenMails).
 */
@Injectable()
export class MailService implements OnModuleInit {
  private readonly logger = new Logger(MailService.name);
  private readonly transport: Transporter | null;

  constructor(
    private readonly config: AppConfig,
    private readonly jobs: JobsService,
  ) {
    this.transport = config.smtpUrl ? nodemailer.createTransport(config.smtpUrl) : null;
  }

  onModuleInit(): void {
    this.jobs.register<Mail>({
      name: QUEUE,
      handler: (mail) => this.deliver(mail),
      retryLimit: 8,
      retryDelay: 30,
    });
  }

  async send(mail: Mail, tx?: Tx): Promise<void> {
    await this.jobs.enqueue(QUEUE, mail, { tx });
  }

  /** Sends now, from a job (never inside a transaction). */
  async deliver(mail: Mail): Promise<void> {
    if (this.transport) {
      await this.transport.sendMail({ from: this.config.mailFrom, ...mail });
      return;
    }
    const dir = join(this.config.dataDir, 'mail');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${Date.now()}-${mail.to.replace(/[^a-z0-9@._-]/gi, '_')}.json`);
    await writeFile(file, JSON.stringify({ from: this.config.mailFrom, ...mail }, null, 2));
    this.logger.log(`mail to ${mail.to} ("${mail.subject}") written to ${file}`);
  }
}

import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { EmailTokenPurpose } from '@prisma/client';
import { AppConfig } from '../../config/config';
import { addSeconds, Clock } from '../../platform/clock/clock';
import { randomToken, sha256 } from '../../platform/crypto/secrets';
import { JobsService } from '../../platform/jobs/jobs.service';
import { Mail, MailService } from '../../platform/mail/mail.service';
import type { Tx } from '../../platform/database/database';
import { AuthRepository } from './auth.repository';

const QUEUE = 'auth.token-mail';

interface TokenMailJob {
  emailTokenId: string;
}

function render(purpose: EmailTokenPurpose, to: { email: string; displayName: string }, link: string): Mail {
  return purpose === 'verify_email'
    ? {
        to: to.email,
        subject: 'Confirm your email address',
        text: `Hi ${to.displayName},\n\nConfirm your email address to start using your account:\n${link}\n\nThe link is valid for 24 hours.`,
      }
    : {
        to: to.email,
        subject: 'Reset your password',
        text: `Hi ${to.displayName},\n\nSomeone asked to reset the password of your account. If it was you, choose a new one here:\n${link}\n\nThe link is valid for 24 hours. If it was not you, ignore this mail.`,
      };
}

/**
 * Mails that carry a one-time token (email verification, password reset). The token exists only
 * in the mail: the request stores the token's row (purpose, user, expiry) with a hash nobody
 * holds the preimage of and queues a job naming the row; the job mints the token, stores its
 * hash on the row (only while the row is unused and unexpired, in one statement), then renders
 * and sends the mail. So no job payload, job archive or database dump holds a usable token. A
 * retried delivery mints a fresh token, which replaces the previous one: only the newest link
 * sent works.
 */
@Injectable()
export class TokenMails implements OnModuleInit {
  private readonly logger = new Logger(TokenMails.name);

  constructor(
    private readonly repo: AuthRepository,
    private readonly jobs: JobsService,
    private readonly mail: MailService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.jobs.register<TokenMailJob>({
      name: QUEUE,
      handler: (job) => this.send(job.emailTokenId),
      retryLimit: 8,
      retryDelay: 30,
    });
  }

  /** Inside the caller's transaction: the token row and the job exist iff it commits. */
  async queue(tx: Tx, userId: string, purpose: EmailTokenPurpose, now: Date): Promise<void> {
    const id = await this.repo.createEmailToken(
      tx,
      userId,
      purpose,
      sha256(randomToken(32)), // unusable until the job mints the real token
      now,
      addSeconds(now, this.config.limits.emailTokenSeconds),
    );
    await this.jobs.enqueue(QUEUE, { emailTokenId: id } satisfies TokenMailJob, { tx });
  }

  private async send(emailTokenId: string): Promise<void> {
    const token = randomToken(32);
    const row = await this.repo.armEmailToken(emailTokenId, sha256(token), this.clock.now());
    if (!row) {
      this.logger.log(`token mail ${emailTokenId} not sent: the token was used, replaced or expired`);
      return;
    }
    const page = row.purpose === 'verify_email' ? 'verify-email' : 'reset-password';
    await this.mail.deliver(render(row.purpose, row, `${this.config.appUrl}/${page}?token=${token}`));
  }
}

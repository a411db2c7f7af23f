import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/config';
import type { Principal } from '../../platform/access/principal';
import { Clock } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { newId } from '../../platform/ids';
import { decodeCursor, Page, pageLimit, toPage, byCreation } from '../../platform/pagination/pagination';
import type { PageQueryDto } from '../../platform/pagination/page.dto';
import type { Tx } from '../../platform/database/database';
import { RollingBudget } from '../../platform/rate-limit/rolling-budget';
import { RealtimeService } from '../../platform/realtime/realtime.service';
import { BlocksService } from '../social/blocks.service';
import { conversationAccess, otherParticipant } from './conversation-access';
import type { ConversationDto, MessageDto } from './dto/messaging.dto';
import { MessagingErrors } from './messaging.errors';
import { ConversationListRow, MessageRow, MessagingRepository } from './messaging.repository';

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Characters as a user sees them (grapheme clusters: "👍🏽" or "é" written as e + accent is one),
 * counted up to `max + 1`.
 */
export function visibleLength(text: string, max: number): number {
  let n = 0;
  for (const _ of segmenter.segment(text)) if (++n > max) break;
  return n;
}

const toMessageDto = (m: MessageRow): MessageDto => ({
  id: m.id,
  conversation_id: m.conversationId,
  sender_id: m.senderId,
  body: m.body,
  created_at: m.createdAt.toISOString(),
});

const toConversationDto = (r: ConversationListRow): ConversationDto => ({
  id: r.id,
  other_user: { id: r.otherUserId, display_name: r.otherName },
  last_message: r.lastMessage ? { ...r.lastMessage, conversation_id: r.id } : null,
  unread_count: r.unread,
  last_activity_at: r.lastActivityAt.toISOString(),
  created_at: r.createdAt.toISOString(),
});

@Injectable()
export class MessagingService {
  constructor(
    private readonly repo: MessagingRepository,
    private readonly blocks: BlocksService,
    private readonly realtime: RealtimeService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /**
   * The direct conversation with `userId`, created if there is none (one per pair, held by a
   * unique index). Checked in order: cannot_message_self, recipient_not_found, a block either
   * way. 201 when created, 200 when it existed.
   */
  async open(
    principal: Principal,
    userId: string,
  ): Promise<{ conversation: ConversationDto; created: boolean }> {
    const me = principal.userId;
    if (userId === me) throw new AppError(MessagingErrors.cannotMessageSelf);
    if (!(await this.repo.userExists(userId))) throw new AppError(MessagingErrors.recipientNotFound);
    await this.blocks.assertNotBlocked(me, userId);
    const { id, created } = await this.repo.getOrCreate(
      undefined,
      newId('cnv'),
      me,
      userId,
      this.clock.now(),
    );
    return { conversation: toConversationDto((await this.repo.one(me, id))!), created };
  }

  async list(principal: Principal, query: PageQueryDto): Promise<Page<ConversationDto>> {
    const limit = pageLimit(query);
    const rows = await this.repo.list(principal.userId, limit + 1, decodeCursor(query.cursor));
    return toPage(rows, limit, (r) => ({ at: r.lastActivityAt, id: r.id }), toConversationDto);
  }

  async messages(
    principal: Principal,
    conversationId: string,
    query: PageQueryDto,
  ): Promise<Page<MessageDto>> {
    conversationAccess.assert(principal, 'read', await this.repo.find(conversationId));
    const limit = pageLimit(query);
    const rows = await this.repo.messages(conversationId, limit + 1, decodeCursor(query.cursor));
    return toPage(rows, limit, byCreation, toMessageDto);
  }

  async markRead(principal: Principal, conversationId: string): Promise<ConversationDto> {
    conversationAccess.assert(principal, 'read', await this.repo.find(conversationId));
    await this.repo.markRead(principal.userId, conversationId);
    return toConversationDto((await this.repo.one(principal.userId, conversationId))!);
  }

  /**
   * POST /conversations/:id/messages. Checked in order: message_too_long (blank is
   * validation_failed), conversation_not_found, not_a_participant, a block either way,
   * message_rate_limited.
   */
  async sendToConversation(principal: Principal, conversationId: string, body: string): Promise<MessageDto> {
    this.assertBody(body);
    const conversation = conversationAccess.assert(principal, 'post', await this.repo.find(conversationId));
    return this.send(
      principal.userId,
      otherParticipant(conversation, principal),
      body,
      async () => conversation.id,
    );
  }

  /**
   * POST /messages: into the direct conversation with the recipient (created on the first
   * message). Checked in order: message_too_long, cannot_message_self, recipient_not_found, a
   * block either way, message_rate_limited.
   */
  async sendDirect(principal: Principal, recipientId: string, body: string): Promise<MessageDto> {
    this.assertBody(body);
    const me = principal.userId;
    if (recipientId === me) throw new AppError(MessagingErrors.cannotMessageSelf);
    if (!(await this.repo.userExists(recipientId))) throw new AppError(MessagingErrors.recipientNotFound);
    return this.send(
      me,
      recipientId,
      body,
      async (tx, now) => (await this.repo.getOrCreate(tx, newId('cnv'), me, recipientId, now)).id,
    );
  }

  /**
   * One transaction: the sender's message budget locked (a rolling minute, on every instance),
   * the pair locked and checked for blocks (a block cannot slip in between), the message
   * written, and the realtime events published — delivered when it commits.
   */
  private async send(
    me: string,
    other: string,
    body: string,
    conversationOf: (tx: Tx, now: Date) => Promise<string>,
  ): Promise<MessageDto> {
    const message = await this.repo.transaction(async (tx) => {
      await RollingBudget.lock(tx, 'message', me);
      // read once the lock is ours: the sender's messages are stamped in the order they are sent
      const now = this.clock.now();
      await this.blocks.lockPair(tx, me, other);
      await this.blocks.assertNotBlocked(me, other, tx);
      const spent = await RollingBudget.spend(
        tx,
        'message',
        me,
        [{ seconds: 60, limit: this.config.limits.messagesPerMinute }],
        now,
      );
      if (!spent.ok) {
        throw new AppError(MessagingErrors.messageRateLimited, {
          context: { retry_after: spent.retryAfter },
          headers: { 'Retry-After': String(spent.retryAfter) },
        });
      }
      const m: MessageRow = {
        id: newId('msg'),
        conversationId: await conversationOf(tx, now),
        senderId: me,
        body,
        createdAt: now,
      };
      await this.repo.insertMessage(tx, m);
      const dto = toMessageDto(m);
      await this.realtime.publish(other, 'message.created', dto, tx);
      await this.realtime.publish(me, 'message.created', dto, tx);
      return dto;
    });
    return message;
  }

  private assertBody(body: string): void {
    const max = this.config.limits.messageChars;
    if (body.trim() === '') {
      throw new AppError(GeneralErrors.validationFailed, { errors: { body: ['body must not be blank'] } });
    }
    // a grapheme is rarely over 16 UTF-16 units: longer text is refused before it is segmented
    if (body.length > max * 16 || visibleLength(body, max) > max) {
      throw new AppError(MessagingErrors.messageTooLong, {
        message: `Message exceeds limit (${max} characters).`,
      });
    }
  }
}

import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Access, CurrentPrincipal } from '../../platform/access/access.decorator';
import type { Principal } from '../../platform/access/principal';
import { ApiErrors } from '../../platform/docs/api-errors.decorator';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { IdPipe } from '../../platform/http/id.pipe';
import { Idempotent } from '../../platform/idempotency/idempotent.decorator';
import { PageQueryDto } from '../../platform/pagination/page.dto';
import { BlockErrors } from '../social/blocks.errors';
import {
  ConversationDto,
  ConversationListDto,
  CreateConversationDto,
  DirectMessageDto,
  MessageDto,
  MessageListDto,
  SendMessageDto,
} from './dto/messaging.dto';
import { MessagingErrors } from './messaging.errors';
import { MessagingService } from './messaging.service';

const SEND_RULES =
  'A message is 1 to 2,000 characters counted as a user sees them (LIMIT_MESSAGE_CHARS; an emoji with a skin tone is one); a sender sends at most 30 messages per rolling minute (LIMIT_MESSAGES_PER_MINUTE) across all instances, with Retry-After. Send with an Idempotency-Key: a retry after a lost response returns the first message instead of sending it twice. Both participants receive `message.created` on GET /me/events.';

@ApiTags('messaging')
@Controller()
export class MessagingController {
  constructor(private readonly messaging: MessagingService) {}

  @Post('conversations')
  @Access.user('messaging:write')
  @ApiOperation({
    summary: 'The direct conversation with a user: the existing one (200) or a new one (201)',
    description:
      'One conversation per pair of users, whoever opens it and however many open it at once. Checked in order: cannot_message_self, recipient_not_found, you_blocked_user, user_blocked_you.',
  })
  @ApiResponse({ status: 200, type: ConversationDto, description: 'the existing conversation' })
  @ApiErrors(
    MessagingErrors.cannotMessageSelf,
    MessagingErrors.recipientNotFound,
    BlockErrors.youBlockedUser,
    BlockErrors.userBlockedYou,
  )
  async open(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateConversationDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ConversationDto> {
    const { conversation, created } = await this.messaging.open(principal, dto.user_id);
    void reply.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return conversation;
  }

  @Get('conversations')
  @Access.user('messaging:read')
  @ApiOperation({
    summary: 'Your conversations by last activity, each with its last message and unread count',
  })
  list(@CurrentPrincipal() principal: Principal, @Query() query: PageQueryDto): Promise<ConversationListDto> {
    return this.messaging.list(principal, query);
  }

  @Get('conversations/:id/messages')
  @Access.user('messaging:read')
  @ApiOperation({ summary: 'Messages of a conversation, newest first' })
  @ApiErrors(MessagingErrors.conversationNotFound, MessagingErrors.notAParticipant)
  messages(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Query() query: PageQueryDto,
  ): Promise<MessageListDto> {
    return this.messaging.messages(principal, id, query);
  }

  @Post('conversations/:id/messages')
  @Access.user('messaging:write')
  @Idempotent()
  @ApiOperation({
    summary: 'Send a message in a conversation',
    description: `Checked in order: message_too_long (a blank body is validation_failed), conversation_not_found, not_a_participant, you_blocked_user, user_blocked_you, message_rate_limited. ${SEND_RULES}`,
  })
  @ApiErrors(
    MessagingErrors.messageTooLong,
    GeneralErrors.validationFailed,
    MessagingErrors.conversationNotFound,
    MessagingErrors.notAParticipant,
    BlockErrors.youBlockedUser,
    BlockErrors.userBlockedYou,
    MessagingErrors.messageRateLimited,
  )
  send(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: SendMessageDto,
  ): Promise<MessageDto> {
    return this.messaging.sendToConversation(principal, id, dto.body);
  }

  @Post('messages')
  @Access.user('messaging:write')
  @Idempotent()
  @ApiOperation({
    summary: 'Send a direct message to a user (into your conversation with them, opened if needed)',
    description: `Checked in order: message_too_long (a blank body is validation_failed), cannot_message_self, recipient_not_found, you_blocked_user, user_blocked_you, message_rate_limited. ${SEND_RULES}`,
  })
  @ApiErrors(
    MessagingErrors.messageTooLong,
    GeneralErrors.validationFailed,
    MessagingErrors.cannotMessageSelf,
    MessagingErrors.recipientNotFound,
    BlockErrors.youBlockedUser,
    BlockErrors.userBlockedYou,
    MessagingErrors.messageRateLimited,
  )
  sendDirect(@CurrentPrincipal() principal: Principal, @Body() dto: DirectMessageDto): Promise<MessageDto> {
    return this.messaging.sendDirect(principal, dto.recipient_id, dto.body);
  }

  @Post('conversations/:id/read')
  @Access.user('messaging:write')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Mark everything in the conversation so far as read' })
  @ApiErrors(MessagingErrors.conversationNotFound, MessagingErrors.notAParticipant)
  read(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: string): Promise<ConversationDto> {
    return this.messaging.markRead(principal, id);
  }
}

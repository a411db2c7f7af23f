import { defineErrors } from '../../platform/errors/app-error';

export const MessagingErrors = defineErrors('messaging', {
  recipientNotFound: {
    code: 'recipient_not_found',
    status: 404,
    message: 'Recipient not found.',
    description: 'Unknown recipient user id (POST /messages, POST /conversations).',
  },
  messageTooLong: {
    code: 'message_too_long',
    status: 422,
    message: 'Message exceeds limit (2000 characters).',
    description:
      'Message text over 2000 characters (LIMIT_MESSAGE_CHARS), counted as a user sees them (grapheme clusters: an emoji with modifiers is one).',
  },
  messageRateLimited: {
    code: 'message_rate_limited',
    status: 429,
    message: 'Too many messages. Wait before sending more.',
    description:
      'More than 30 messages in a rolling minute by one sender (LIMIT_MESSAGES_PER_MINUTE), across instances. Carries `Retry-After` and `retry_after`.',
  },
  conversationNotFound: {
    code: 'conversation_not_found',
    status: 404,
    message: 'Conversation not found.',
    description: 'Unknown conversation id.',
  },
  notAParticipant: {
    code: 'not_a_participant',
    status: 403,
    message: 'You are not a participant in this conversation.',
    description: 'Reading or posting to a conversation the caller is not in.',
  },
  cannotMessageSelf: {
    code: 'cannot_message_self',
    status: 422,
    message: 'You cannot message yourself.',
    description: 'Recipient is the sender.',
  },
});

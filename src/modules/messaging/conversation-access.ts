import type { Principal } from '../../platform/access/principal';
import { defineResourceAccess } from '../../platform/access/resource-access';
import { MessagingErrors } from './messaging.errors';
import type { ConversationRow } from './messaging.repository';

/**
 * Who may do what with a conversation. Its two participants read and post; nobody else, admins
 * included (direct messages are private). That a conversation exists is not hidden from others
 * (the contract answers not_a_participant, not conversation_not_found).
 */
export const conversationAccess = defineResourceAccess<ConversationRow, 'see' | 'read' | 'post'>({
  relations: (c, p) => (p && (c.userA === p.userId || c.userB === p.userId) ? ['owner'] : []),
  isPublic: () => true,
  actions: { see: 'public', read: ['owner'], post: ['owner'] },
  see: 'see',
  notFound: MessagingErrors.conversationNotFound,
  denied: MessagingErrors.notAParticipant,
});

/** The participant who is not the caller (a participant, as `conversationAccess` made sure). */
export const otherParticipant = (c: ConversationRow, principal: Principal): string =>
  c.userA === principal.userId ? c.userB : c.userA;

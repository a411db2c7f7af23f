import { AppError, defineErrors } from '../../platform/errors/app-error';
import type { BlockRelation } from './social.repository';

/**
 * A block either way between the caller and another user: the refusals of every route that would
 * join them (messages and conversations, follows, playlist invitations). The rule is social's; the
 * public catalogue (GET /errors, errors.json) files these two codes under "messaging", where they
 * were first answered, and that label is part of the contract, so it stays.
 */
export const BlockErrors = defineErrors('messaging', {
  userBlockedYou: {
    code: 'user_blocked_you',
    status: 403,
    message: 'This user has blocked you.',
    description:
      'The recipient blocked the sender (messages, new conversations); also answered to a follow of someone who blocked the caller.',
  },
  youBlockedUser: {
    code: 'you_blocked_user',
    status: 403,
    message: 'You have blocked this user. Unblock to message.',
    description:
      'The sender blocked the recipient (messages, new conversations); also answered to a follow of someone the caller blocked.',
  },
});

/**
 * Refuses what a block between the caller and the other user forbids: you_blocked_user (it wins
 * when both blocked each other), whose message ends "Unblock to `unblockTo`." (the catalogue's
 * "message" when not given), else user_blocked_you; nothing when there is no block.
 */
export function assertNoBlock(relation: BlockRelation, unblockTo?: string): void {
  if (relation === 'you_blocked_user') {
    throw new AppError(
      BlockErrors.youBlockedUser,
      unblockTo ? { message: `You have blocked this user. Unblock to ${unblockTo}.` } : {},
    );
  }
  if (relation === 'user_blocked_you') throw new AppError(BlockErrors.userBlockedYou);
}

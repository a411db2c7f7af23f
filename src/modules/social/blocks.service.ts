import { Injectable } from '@nestjs/common';
import type { Principal } from '../../platform/access/principal';
import { Clock } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { decodeCursor, Page, pageLimit, toPage, byCreation } from '../../platform/pagination/pagination';
import type { PageQueryDto } from '../../platform/pagination/page.dto';
import type { Tx } from '../../platform/database/database';
import type { UserSummaryDto } from './dto/social.dto';
import { AccountsErrors } from '../accounts/accounts.errors';
import { assertNoBlock } from './blocks.errors';
import { SocialRepository } from './social.repository';

/** Called inside the block's transaction, e.g. to withdraw playlist invitations between the two. */
export type BlockListener = (tx: Tx, blockerId: string, blockedId: string) => Promise<void>;

/**
 * Blocks, and the API other modules use to honour them:
 * - `assertNotBlocked(me, other, tx?)` (the refusals of blocks.errors.ts) or
 *   `isBlockedEitherWay(a, b, tx?)` for one pair; inside a transaction call `lockPair(tx, a, b)`
 *   first so a block cannot land between the check and the write (follows, messages and
 *   invitations all do);
 * - `notBlockedEitherWay(me, column)` (blocks.sql.ts) for lists (feed, radio, playlists);
 * - `onBlock(listener)` to undo what a block ends (follows are removed here).
 */
@Injectable()
export class BlocksService {
  private readonly listeners: BlockListener[] = [];

  constructor(
    private readonly repo: SocialRepository,
    private readonly clock: Clock,
  ) {}

  onBlock(listener: BlockListener): void {
    this.listeners.push(listener);
  }

  lockPair(tx: Tx, a: string, b: string): Promise<void> {
    return this.repo.lockPair(tx, a, b);
  }

  /**
   * you_blocked_user / user_blocked_you when `me` and `other` blocked each other either way
   * (`unblockTo` ends the first one's message: "Unblock to invite them.").
   */
  async assertNotBlocked(me: string, other: string, tx?: Tx, unblockTo?: string): Promise<void> {
    assertNoBlock(await this.repo.blockRelation(me, other, tx), unblockTo);
  }

  async isBlockedEitherWay(a: string, b: string, tx?: Tx): Promise<boolean> {
    return (await this.repo.blockRelation(a, b, tx)) !== 'none';
  }

  /**
   * Blocks `targetId` (again is fine). In one transaction under the pair's lock: the block, both
   * follows removed (with their counts), and every registered listener.
   */
  async block(principal: Principal, targetId: string): Promise<void> {
    const me = principal.userId;
    if (targetId === me) {
      throw new AppError(GeneralErrors.validationFailed, {
        errors: { id: ['you cannot block yourself'] },
      });
    }
    await this.repo.transaction(async (tx) => {
      if (!(await this.repo.userExists(targetId, tx))) throw new AppError(AccountsErrors.userNotFound);
      await this.repo.lockPair(tx, me, targetId);
      if (!(await this.repo.insertBlock(tx, me, targetId, this.clock.now()))) return;
      await this.repo.deleteFollow(tx, me, targetId);
      await this.repo.deleteFollow(tx, targetId, me);
      for (const listener of this.listeners) await listener(tx, me, targetId);
    });
  }

  async unblock(principal: Principal, targetId: string): Promise<void> {
    if (!(await this.repo.userExists(targetId))) throw new AppError(AccountsErrors.userNotFound);
    await this.repo.deleteBlock(principal.userId, targetId);
  }

  async list(principal: Principal, query: PageQueryDto): Promise<Page<UserSummaryDto>> {
    const limit = pageLimit(query);
    const rows = await this.repo.blocks(principal.userId, limit + 1, decodeCursor(query.cursor));
    return toPage(rows, limit, byCreation, (r) => ({
      id: r.id,
      display_name: r.displayName,
      since: r.createdAt.toISOString(),
    }));
  }
}

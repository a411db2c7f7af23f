import { Injectable } from '@nestjs/common';
import type { Keyset } from '../../platform/pagination/pagination';
import { Database, type Tx } from '../../platform/database/database';
import { PrismaService } from '../../platform/prisma/prisma.service';

export interface ConversationRow {
  id: string;
  userA: string;
  userB: string;
}

export interface MessageRow {
  id: string;
  conversationId: string;
  senderId: string;
  body: string;
  createdAt: Date;
}

export interface ConversationListRow {
  id: string;
  otherUserId: string;
  otherName: string;
  lastActivityAt: Date;
  createdAt: Date;
  unread: number;
  lastMessage: { id: string; sender_id: string; body: string; created_at: string } | null;
}

/** The pair as stored: conversations hold (smaller id, larger id), unique. */
export const orderedPair = (a: string, b: string): [string, string] => (a < b ? [a, b] : [b, a]);

@Injectable()
export class MessagingRepository {
  constructor(
    private readonly db: Database,
    private readonly prisma: PrismaService,
  ) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  async userExists(id: string): Promise<boolean> {
    return (await this.db.query(`SELECT 1 FROM users WHERE id = $1`, [id])).length > 0;
  }

  async find(id: string): Promise<ConversationRow | null> {
    const [row] = await this.db.query<ConversationRow>(
      `SELECT id, user_a AS "userA", user_b AS "userB" FROM conversations WHERE id = $1`,
      [id],
    );
    return row ?? null;
  }

  /**
   * The pair's conversation, created with its two member rows when there is none. The unique
   * (user_a, user_b) index decides between concurrent creators: the loser's insert does nothing
   * and it reads the winner's row.
   */
  async getOrCreate(
    tx: Tx | undefined,
    id: string,
    a: string,
    b: string,
    now: Date,
  ): Promise<{ id: string; created: boolean }> {
    const [userA, userB] = orderedPair(a, b);
    const db = tx ?? this.db;
    // one statement when the conversation exists (the common case) or is created here; a second
    // read only when a concurrent creator won the insert after this statement's snapshot
    const rows = await db.query<{ id: string; created: boolean }>(
      `
      WITH ins AS (
        INSERT INTO conversations (id, user_a, user_b, created_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT (user_a, user_b) DO NOTHING
        RETURNING id
      ), members AS (
        INSERT INTO conversation_members (conversation_id, user_id, other_user_id, last_activity_at)
        SELECT id, $2, $3, $4::timestamptz FROM ins
        UNION ALL SELECT id, $3, $2, $4::timestamptz FROM ins
      )
      SELECT id, true AS created FROM ins
      UNION ALL
      SELECT id, false FROM conversations WHERE user_a = $2 AND user_b = $3`,
      [id, userA, userB, now],
    );
    if (rows.length) return { id: rows[0].id, created: rows[0].created };
    const [existing] = await db.query<{ id: string }>(
      `
      SELECT id FROM conversations WHERE user_a = $1 AND user_b = $2`,
      [userA, userB],
    );
    return { id: existing.id, created: false };
  }

  /**
   * The message, the conversation's last message, both members' activity and the sender's read
   * mark, in one statement.
   */
  async insertMessage(tx: Tx, m: MessageRow): Promise<void> {
    await tx.execute(
      `
      WITH message AS (
        INSERT INTO messages (id, conversation_id, sender_id, body, created_at)
        VALUES ($1, $2, $3, $4, $5)
      ), conversation AS (
        UPDATE conversations SET last_message_id = $1 WHERE id = $2
      )
      UPDATE conversation_members
      SET last_activity_at = GREATEST(last_activity_at, $5::timestamptz),
          -- the sender has read everything up to their own message
          last_read_at = CASE WHEN user_id = $3
                              THEN GREATEST(last_read_at, $5::timestamptz) ELSE last_read_at END
      WHERE conversation_id = $2`,
      [m.id, m.conversationId, m.senderId, m.body, m.createdAt],
    );
  }

  list(userId: string, take: number, after?: Keyset, only?: string): Promise<ConversationListRow[]> {
    const params: unknown[] = [userId, take];
    let keyset = '';
    if (after) {
      params.push(after.at, after.id);
      keyset = `AND (m.last_activity_at, m.conversation_id) < ($3, $4)`;
    } else if (only) {
      params.push(only);
      keyset = `AND m.conversation_id = $3`;
    }
    return this.db.query<ConversationListRow>(
      `SELECT c.id, m.other_user_id AS "otherUserId", u.display_name AS "otherName",
              m.last_activity_at AS "lastActivityAt", c.created_at AS "createdAt",
              (SELECT count(*)::int FROM messages x
                WHERE x.conversation_id = c.id AND x.sender_id <> $1
                  AND (m.last_read_at IS NULL OR x.created_at > m.last_read_at)) AS unread,
              CASE WHEN lm.id IS NULL THEN NULL ELSE json_build_object(
                'id', lm.id, 'sender_id', lm.sender_id, 'body', lm.body,
                'created_at', to_char(lm.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) END
                AS "lastMessage"
       FROM conversation_members m
       JOIN conversations c ON c.id = m.conversation_id
       JOIN users u ON u.id = m.other_user_id
       LEFT JOIN messages lm ON lm.id = c.last_message_id
       WHERE m.user_id = $1 ${keyset}
       ORDER BY m.last_activity_at DESC, m.conversation_id DESC
       LIMIT $2`,
      params,
    );
  }

  async one(userId: string, conversationId: string): Promise<ConversationListRow | null> {
    const [row] = await this.list(userId, 1, undefined, conversationId);
    return row ?? null;
  }

  messages(conversationId: string, take: number, after?: Keyset): Promise<MessageRow[]> {
    const params: unknown[] = [conversationId, take];
    let keyset = '';
    if (after) {
      params.push(after.at, after.id);
      keyset = `AND (created_at, id) < ($3, $4)`;
    }
    return this.db.query<MessageRow>(
      `SELECT id, conversation_id AS "conversationId", sender_id AS "senderId", body, created_at AS "createdAt"
       FROM messages WHERE conversation_id = $1 ${keyset}
       ORDER BY created_at DESC, id DESC LIMIT $2`,
      params,
    );
  }

  /** Everything in the conversation so far counts as read by `userId`. */
  async markRead(userId: string, conversationId: string): Promise<void> {
    await this.db.query(
      `UPDATE conversation_members
       SET last_read_at = GREATEST(last_read_at, (SELECT max(created_at) FROM messages WHERE conversation_id = $1))
       WHERE conversation_id = $1 AND user_id = $2`,
      [conversationId, userId],
    );
  }
}

import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Access, CurrentPrincipal } from '../access/access.decorator';
import { bearerToken } from '../access/access.guard';
import type { Principal } from '../access/principal';
import { EventStreamsService, STREAM_END_REASONS } from './event-streams.service';

const REASONS = Object.entries(STREAM_END_REASONS)
  .map(([reason, why]) => `\`${reason}\` (${why})`)
  .join(', ');

@ApiTags('realtime')
@Controller('me')
export class RealtimeController {
  constructor(private readonly streams: EventStreamsService) {}

  @Get('events')
  @Access.user('messaging:read')
  @ApiProduces('text/event-stream')
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'The id of the last event received: events after it (kept a day) are sent first.',
  })
  @ApiOperation({
    summary: 'Server-Sent Events for the signed-in user: new messages and playlist invitations',
    description:
      'A `text/event-stream` that stays open. Each event has an `id`, an `event` type (`message.created`: a direct message to you, `data` is the message with its `conversation_id`; `playlist.invitation`: an invitation to edit a playlist) and JSON `data`. Delivered within a second whichever server instance handled the send (PostgreSQL LISTEN/NOTIFY). On reconnect, send `Last-Event-ID` to receive what was missed.\n\n' +
      'A comment line every heartbeat (`LIMIT_EVENT_STREAM_HEARTBEAT_SECONDS`, 25 s) keeps proxies from closing the stream; at each heartbeat the credential that opened the stream is checked again, as on every request. The stream never outlives it: on logout, a password reset or change, revocation of the token, suspension of the account (within a second, on every instance, else at the next heartbeat) and at the token’s expiry, the server sends a last event `end` (no `id`) with `data: {"reason": …}` and closes the stream. Reasons: ' +
      REASONS +
      '. After `token_expired`, refresh the access token and reconnect with `Last-Event-ID`; after the others, do not reconnect with the same credential. A stream closed without `end` (a server restart, the network) is reopened with `Last-Event-ID`.\n\n' +
      'At most `LIMIT_EVENT_STREAMS_PER_USER` (5) streams per user over all instances: opening one more ends the oldest with `replaced`.',
  })
  async events(
    @CurrentPrincipal() principal: Principal,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const header = req.headers['last-event-id'];
    const lastEventId = typeof header === 'string' && /^evt_[0-9a-z]{26}$/.test(header) ? header : undefined;
    await this.streams.open(principal, bearerToken(req.headers.authorization) ?? '', lastEventId, reply);
  }
}

import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Access, CurrentPrincipal } from '../access/access.decorator';
import type { Principal } from '../access/principal';
import { RealtimeService, type RealtimeEvent } from './realtime.service';

const HEARTBEAT_MS = 25_000;

@ApiTags('realtime')
@Controller('me')
export class RealtimeController {
  constructor(private readonly realtime: RealtimeService) {}

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
      'A `text/event-stream` that stays open. Each event has an `id`, an `event` type (`message.created`: a direct message to you, `data` is the message with its `conversation_id`; `playlist.invitation`: an invitation to edit a playlist) and JSON `data`. Delivered within a second whichever server instance handled the send (PostgreSQL LISTEN/NOTIFY). A comment line every 25 s keeps proxies from closing the stream. On reconnect, send `Last-Event-ID` to receive what was missed.',
  })
  async events(
    @CurrentPrincipal() principal: Principal,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const header = req.headers['last-event-id'];
    const lastEventId = typeof header === 'string' && /^evt_[0-9a-z]{26}$/.test(header) ? header : undefined;
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    raw.write('retry: 3000\n: connected\n\n');
    let open = true;
    const stop: { unsubscribe?: () => void } = {};
    const end = () => {
      if (!open) return;
      open = false;
      clearInterval(heartbeat);
      stop.unsubscribe?.();
      raw.end();
    };
    const heartbeat = setInterval(() => raw.write(': ping\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    req.raw.on('close', end);
    stop.unsubscribe = await this.realtime.subscribe(
      principal.userId,
      lastEventId,
      (e: RealtimeEvent) => {
        if (open) raw.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
      },
      end,
    );
    if (!open) stop.unsubscribe();
  }
}

import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal } from '../../platform/access/access.decorator';
import type { Principal } from '../../platform/access/principal';
import { ApiErrors } from '../../platform/docs/api-errors.decorator';
import { AcceptsIfMatch, ETagged, IfMatch } from '../../platform/http/etag';
import { Idempotent } from '../../platform/idempotency/idempotent.decorator';
import { ArtistsErrors } from './artists.errors';
import { ArtistsService } from './artists.service';
import { ArtistDto, CreateArtistDto, UpdateArtistDto } from './dto/artist.dto';

@ApiTags('artists')
@Controller('artists')
@ETagged()
export class ArtistsController {
  constructor(private readonly artists: ArtistsService) {}

  @Post()
  @Access.user('catalog:write')
  @Idempotent()
  @ApiOperation({ summary: 'Create your artist profile (one per user)' })
  @ApiErrors(ArtistsErrors.slugTaken, ArtistsErrors.artistAlreadyExists)
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateArtistDto): Promise<ArtistDto> {
    return this.artists.create(principal, dto);
  }

  // one parameter name per position (`id`), as client generators need; it also takes a slug
  @Get(':id')
  @Access.public({ scope: 'catalog:read' })
  @ApiOperation({ summary: 'An artist by id or slug' })
  @ApiParam({ name: 'id', description: 'The artist id (`art_…`) or slug' })
  @ApiErrors(ArtistsErrors.artistNotFound)
  get(@Param('id') idOrSlug: string): Promise<ArtistDto> {
    return this.artists.get(idOrSlug);
  }

  @Patch(':id')
  @Access.user('catalog:write')
  @AcceptsIfMatch()
  @ApiOperation({
    summary: 'Update your artist profile',
    description:
      'A new name or slug clears `verified` (in the same update) until an admin approves a new verify-artist request.',
  })
  @ApiErrors(ArtistsErrors.artistNotFound, ArtistsErrors.slugTaken)
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: UpdateArtistDto,
    @IfMatch() ifMatch: number | undefined,
  ): Promise<ArtistDto> {
    return this.artists.update(principal, id, dto, ifMatch);
  }
}

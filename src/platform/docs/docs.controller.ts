import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../access/access.decorator';
import { OpenApiDocuments } from './openapi';

@ApiTags('admin')
@Controller('admin/docs')
@Access.admin()
export class AdminDocsController {
  constructor(private readonly documents: OpenApiDocuments) {}

  @Get('openapi.json')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'The OpenAPI document with the admin operations',
    description:
      'The public document (GET /api/v1/docs/openapi.json) leaves the admin operations out; this one has every operation. Admins only: anyone else gets route_not_found.',
  })
  @ApiOkResponse({ description: 'An OpenAPI 3 document', schema: { type: 'object' } })
  openapi(): object {
    return this.documents.admin ?? {};
  }
}

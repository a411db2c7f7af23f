import { All, Controller } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Access } from '../../platform/access/access.decorator';
import { UnmatchedRoute } from '../../platform/http/route-registry';

/**
 * Every method on every path under /admin that no admin route matches. Without it, a probe could
 * tell admin routes apart from nothing: an unmatched method answered 405 with `Allow` to anyone
 * (the error filter runs without the access guard). Here the guard runs first, so a non-admin
 * gets route_not_found for every method and path under /admin; an admin gets the usual 405 with
 * `Allow` for a known path, or route_not_found.
 */
@ApiExcludeController()
@Controller('admin')
@Access.admin()
export class AdminFallbackController {
  @All('*')
  unmatched(): never {
    throw new UnmatchedRoute();
  }
}

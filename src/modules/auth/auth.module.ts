import { Module } from '@nestjs/common';
import { PrincipalResolver } from '../../platform/access/principal';
import { AccessTokensController } from './access-tokens.controller';
import { AuthController } from './auth.controller';
import { AuthRepository } from './auth.repository';
import { AuthService } from './auth.service';
import { TokenMails } from './token-mails';
import { TokenService } from './token.service';

@Module({
  controllers: [AuthController, AccessTokensController],
  providers: [
    AuthRepository,
    AuthService,
    TokenService,
    TokenMails,
    { provide: PrincipalResolver, useExisting: TokenService },
  ],
  exports: [AuthService, PrincipalResolver],
})
export class AuthModule {}

import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PrincipalResolver } from '../../platform/access/principal';
import { AppSecret } from '../../platform/crypto/app-secret';
import { AccessTokensController } from './access-tokens.controller';
import { AuthController } from './auth.controller';
import { AuthRepository } from './auth.repository';
import { AuthService } from './auth.service';
import { TokenService } from './token.service';

@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [AppSecret],
      useFactory: (secret: AppSecret) => ({
        secret: secret.value,
        signOptions: { algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [AuthController, AccessTokensController],
  providers: [
    AuthRepository,
    AuthService,
    TokenService,
    { provide: PrincipalResolver, useExisting: TokenService },
  ],
  exports: [AuthService, PrincipalResolver],
})
export class AuthModule {}

import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig, ConfigError } from '../../config/config';
import { AuthService } from '../auth/auth.service';

/**
 * On start, ensures the ADMIN_EMAIL admin exists: created verified with ADMIN_PASSWORD when the
 * address is free; left as it is (its own password) when it is already an admin. When the address
 * belongs to an ordinary account the server refuses to start: anyone can register any address
 * (unverified), so promoting whoever holds it would hand the admin role to a stranger, with the
 * stranger's password, sessions and tokens. Taking the account over instead would silently give
 * the admin someone else's data (purchases, uploads, messages); the operator chooses another
 * address.
 */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminBootstrap.name);

  constructor(
    private readonly config: AppConfig,
    private readonly auth: AuthService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { adminEmail, adminPassword } = this.config;
    if (!adminEmail || !adminPassword) return;
    const outcome = await this.auth.ensureAdmin(adminEmail, adminPassword);
    if (outcome === 'user') {
      throw new ConfigError(
        `ADMIN_EMAIL ${adminEmail} belongs to an existing account that is not an admin; refusing to promote it (choose another address)`,
      );
    }
    this.logger.log(`admin account ${adminEmail} ${outcome === 'created' ? 'created' : 'is ready'}`);
  }
}

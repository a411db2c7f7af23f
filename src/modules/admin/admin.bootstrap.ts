import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../../config/config';
import { AuthService } from '../auth/auth.service';

/**
 * On start, ensures the ADMIN_EMAIL account exists, is verified and is an admin. An existing
 * account keeps its password (change it through the API); a new one gets ADMIN_PASSWORD.
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
    await this.auth.ensureAdmin(adminEmail, adminPassword);
    this.logger.log(`admin account ${adminEmail} is ready`);
  }
}

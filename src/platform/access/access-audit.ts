import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ACCESS_METADATA } from './access.decorator';

export interface RouteAccess {
  controller: string;
  handler: string;
  declared: boolean;
}

/** Lists every route handler with whether it declares its access; boot fails on any that does not. */
@Injectable()
export class AccessAudit implements OnApplicationBootstrap {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  routes(): RouteAccess[] {
    const out: RouteAccess[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const instance = wrapper.instance as object | undefined;
      if (!instance || !wrapper.metatype) continue;
      const proto = Object.getPrototypeOf(instance) as Record<string, unknown>;
      for (const name of this.scanner.getAllMethodNames(proto)) {
        const handler = proto[name] as (...args: unknown[]) => unknown;
        if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        if (Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        const declared =
          this.reflector.getAllAndOverride(ACCESS_METADATA, [handler, wrapper.metatype]) !== undefined;
        out.push({ controller: wrapper.metatype.name, handler: name, declared });
      }
    }
    return out;
  }

  onApplicationBootstrap(): void {
    const missing = this.routes().filter((r) => !r.declared);
    if (missing.length) {
      throw new Error(
        `Routes without a declared @Access policy: ${missing.map((r) => `${r.controller}.${r.handler}`).join(', ')}`,
      );
    }
  }
}

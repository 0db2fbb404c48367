import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { OpenSmsWebhookHealthIndicator } from '@opensms/nestjs-webhooks/health';

/** Health of the webhook pipeline: 200 when it is up, 503 with the reasons when it is not. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly opensms: OpenSmsWebhookHealthIndicator,
  ) {}

  /** Whether the events keep flowing: database, queue, backlog, dead letters, reconciler. */
  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.opensms.isHealthy()]);
  }

  /** Whether this process can take work now (a load balancer's readiness probe). */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.opensms.isReady()]);
  }

  /** Whether this process runs (a liveness probe): touches neither the database nor the queue. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.opensms.isAlive()]);
  }
}

import { Module } from '@nestjs/common';
import { OpenSmsWebhookMetricsModule } from '@opensms/nestjs-webhooks/metrics';
import { MetricsController } from './metrics.controller';

/** The webhook metrics in prom-client's default registry, served at `GET /metrics` for Prometheus. */
@Module({
  imports: [OpenSmsWebhookMetricsModule.forRoot()],
  controllers: [MetricsController],
})
export class MetricsModule {}

/**
 * `RampartTelemetry` with the real OpenTelemetry SDK (a meter provider with a reader collected by
 * hand, an in-memory span exporter): what each report records, the attribute caps, the actual-cost
 * policy, start and stop.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Attributes } from '@opentelemetry/api';
import { type DataPoint, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { addObservedGauge, OBSERVED_GAUGE, RampartConfigError, rampartObserver, SecurityState } from '@rampart/core';
import { OTHER, type RampartTelemetry, rampartTelemetry } from '../src/index.js';

class Reader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

interface Point {
  attributes: Attributes;
  value: number;
}

describe('RampartTelemetry', () => {
  let reader: Reader;
  let meterProvider: MeterProvider;
  let spans: InMemorySpanExporter;
  let tracerProvider: BasicTracerProvider;
  let telemetry: RampartTelemetry;

  const points = async (name: string): Promise<Point[]> => {
    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
    return ((metric?.dataPoints ?? []) as DataPoint<unknown>[]).map((p) => ({
      attributes: p.attributes,
      value: typeof p.value === 'number' ? p.value : (p.value as { count: number }).count,
    }));
  };
  const timing = { startedAt: performance.now(), durationMs: 2 };

  beforeEach(() => {
    reader = new Reader();
    meterProvider = new MeterProvider({ readers: [reader] });
    spans = new InMemorySpanExporter();
    tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
    telemetry = rampartTelemetry({ meterProvider, tracerProvider, maxAttributeValues: 3 });
    telemetry.start();
  });
  afterEach(async () => {
    telemetry.stop();
    await meterProvider.shutdown();
  });

  it('counts decisions by source, outcome, code and rule; caps rule names at maxAttributeValues', async () => {
    const state = new SecurityState();
    for (const rule of ['a', 'b', 'c', 'd', 'e', 'a'])
      state.record({ source: 'rules', outcome: 'denied', code: 'FORBIDDEN', rule });
    state.record({ source: 'auth', outcome: 'allowed' });
    telemetry.operationEnd(state);
    const got = (await points('rampart.decisions')).map((p) => [p.attributes['rampart.rule'] ?? '-', p.value]);
    assert.deepEqual(got.sort(), [
      ['-', 1],
      [OTHER, 2],
      ['a', 2],
      ['b', 1],
      ['c', 1],
    ]);
  });

  it('cuts attribute values longer than 64 characters', async () => {
    const state = new SecurityState();
    state.record({ source: 'x'.repeat(200), outcome: 'denied' });
    telemetry.operationEnd(state);
    const [p] = await points('rampart.decisions');
    assert.equal(String(p!.attributes['rampart.source']).length, 64);
  });

  it("actual cost: with 'computed' (default) a deferred figure is never computed for telemetry", async () => {
    const plain = rampartTelemetry({ meterProvider, tracerProvider });
    plain.start();
    const state = new SecurityState();
    state.cost.estimated = 5;
    let walks = 0;
    state.cost.deferActual(() => {
      walks++;
      return 3;
    });
    plain.operationEnd(state);
    assert.equal(walks, 0);
    assert.deepEqual(await points('rampart.cost.actual'), []);
    assert.equal(state.cost.actual, 3); // someone else reads it: now it is computed
    plain.operationEnd(state);
    assert.deepEqual(await points('rampart.cost.actual'), [{ attributes: {}, value: 1 }]);
    plain.stop();
  });

  it("actual cost: 'always' computes it", async () => {
    const always = rampartTelemetry({ meterProvider, tracerProvider, actualCost: 'always', name: 'always' });
    always.start();
    const state = new SecurityState();
    state.cost.deferActual(() => 3);
    always.operationEnd(state);
    const metric = (await reader.collect()).resourceMetrics.scopeMetrics
      .find((s) => s.scope.name === 'always')!
      .metrics.find((m) => m.descriptor.name === 'rampart.cost.actual')!;
    assert.equal((metric.dataPoints[0]!.value as { sum: number }).sum, 3);
    always.stop();
  });

  it('stores: round trips by outcome, and an up/down gauge per store', async () => {
    telemetry.storeCall('redis', timing, true);
    telemetry.storeCall('memory', timing, true);
    telemetry.storeCall('redis', timing, false);
    assert.deepEqual((await points('rampart.store.up')).map((p) => [p.attributes['rampart.store'], p.value]).sort(), [
      ['memory', 1],
      ['redis', 0],
    ]);
    telemetry.storeCall('redis', timing, true);
    assert.deepEqual((await points('rampart.store.up')).map((p) => [p.attributes['rampart.store'], p.value]).sort(), [
      ['memory', 1],
      ['redis', 1],
    ]);
    const durations = (await points('rampart.store.duration')).map((p) => [
      p.attributes['rampart.store'],
      p.attributes['rampart.outcome'],
      p.value,
    ]);
    assert.deepEqual(durations.sort(), [
      ['memory', 'success', 1],
      ['redis', 'failure', 1],
      ['redis', 'success', 2],
    ]);
    const failed = spans.getFinishedSpans().filter((s) => s.attributes['rampart.outcome'] === 'failure');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.status.code, 2);
  });

  it('JWKS fetches and failures, audit records, bytes, errors and queue depth, open subscriptions', async () => {
    telemetry.jwksFetch('https://id.test/jwks', timing, true);
    telemetry.jwksFetch('https://id.test/jwks', timing, false);
    telemetry.auditWrite(1, 120, timing);
    telemetry.auditWrite(1, 80, timing);
    telemetry.auditError();
    const remove = addObservedGauge(OBSERVED_GAUGE.auditQueue, () => 7);
    telemetry.subscriptions(1);
    telemetry.subscriptions(1);
    telemetry.subscriptions(-1);
    assert.deepEqual(
      (await points('rampart.jwks.fetches')).map((p) => [p.attributes['rampart.outcome'], p.value]).sort(),
      [
        ['failure', 1],
        ['success', 1],
      ],
    );
    assert.deepEqual(await points('rampart.audit.records'), [{ attributes: {}, value: 2 }]);
    assert.deepEqual(await points('rampart.audit.bytes'), [{ attributes: {}, value: 200 }]);
    assert.deepEqual(await points('rampart.audit.write_errors'), [{ attributes: {}, value: 1 }]);
    assert.deepEqual(await points('rampart.audit.queue.depth'), [{ attributes: {}, value: 7 }]);
    assert.deepEqual(await points('rampart.subscriptions.open'), [{ attributes: {}, value: 1 }]);
    remove();
  });

  it('receives reports only between start and stop', () => {
    assert.equal(telemetry.started, true);
    assert.notEqual(rampartObserver(), undefined);
    telemetry.stop();
    assert.equal(telemetry.started, false);
    assert.equal(rampartObserver(), undefined);
  });

  it('without an SDK (the global no-op providers): starts, but observes nothing and records nothing', () => {
    telemetry.stop();
    const idle = rampartTelemetry();
    idle.start();
    assert.equal(idle.started, true);
    assert.equal(idle.recording, false);
    assert.equal(rampartObserver(), undefined);
    idle.operationEnd(new SecurityState()); // nothing to record to
    idle.stop();
    assert.equal(telemetry.recording, false);
  });

  it('with an SDK: records, and exports no probe span', async () => {
    assert.equal(telemetry.recording, true);
    assert.deepEqual(
      spans.getFinishedSpans().map((s) => s.name),
      [],
    );
  });

  it('checks its options', () => {
    assert.throws(() => rampartTelemetry({ actualCost: 'sometimes' as never }), RampartConfigError);
    assert.throws(() => rampartTelemetry({ meterProvider: {} as never }), /getMeter/);
    assert.throws(() => rampartTelemetry({ maxAtributeValues: 3 } as never), /maxAttributeValues/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HOOK_DONE, runHook } from '@rampart/core';

describe('runHook', () => {
  class Hooks {
    calls = 0;
    sync(n: number): void {
      this.calls += n;
    }
    waits(n: number): Promise<void> {
      return Promise.resolve().then(() => {
        this.calls += n;
      });
    }
    throws(): void {
      throw new Error('refused');
    }
  }

  it('gives HOOK_DONE for work that finished synchronously, with `this` and the argument passed', () => {
    const hooks = new Hooks();
    assert.equal(runHook(hooks, hooks.sync, 2), HOOK_DONE);
    assert.equal(hooks.calls, 2);
  });

  it("gives the work's own promise when it must wait", async () => {
    const hooks = new Hooks();
    const result = runHook(hooks, hooks.waits, 3);
    assert.notEqual(result, HOOK_DONE);
    assert.equal(hooks.calls, 0);
    await result;
    assert.equal(hooks.calls, 3);
  });

  it('turns a synchronous throw into a rejection, as an async hook would', async () => {
    const hooks = new Hooks();
    const result = runHook(hooks, hooks.throws, undefined);
    await assert.rejects(result, /refused/);
  });
});

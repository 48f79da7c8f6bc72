/** A task's persisted upstream state: the engine holding its pending operations stays reachable. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withPendingEngine } from '../../../../src/services/run/upstream-state.js';
import { createScriptedEngine } from '../../../fakes/scripted-engine.js';

describe('upstream state', () => {
  const a = createScriptedEngine({ name: 'a' });
  const held = createScriptedEngine({ name: 'held' });
  const byName = (name: string) => (name === 'held' ? held : undefined);
  const state = (handle: unknown, done = false) => ({ engineIndex: 0, engine: 'held', calls: [{ n: 1, seed: 1, handle, done }] });

  it('puts the engine with pending operations in front when the route left it out', () => {
    assert.deepEqual(withPendingEngine([a], state({ id: 'op-1' }), byName).map((e) => e.name), ['held', 'a']);
  });

  it('leaves the route alone otherwise', () => {
    assert.deepEqual(withPendingEngine([a, held], state({ id: 'op-1' }), byName).map((e) => e.name), ['a', 'held'], 'already routed');
    assert.deepEqual(withPendingEngine([a], state(null), byName).map((e) => e.name), ['a'], 'nothing pending');
    assert.deepEqual(withPendingEngine([a], state({ id: 'op-1' }, true), byName).map((e) => e.name), ['a'], 'done');
    assert.deepEqual(withPendingEngine([a], null, byName).map((e) => e.name), ['a'], 'no state');
    assert.deepEqual(withPendingEngine([a], { ...state({ id: 'op' }), engine: 'deleted' }, byName).map((e) => e.name), ['a'], 'an engine gone');
  });
});

import { it } from 'vitest';
import { planMaterialization } from '../../src/materialize/plan-materialization.js';
import { writePlan } from '../../src/materialize/write-plan.js';
import { modelPackInMemory } from '../../test/support/model-fixtures.js';
it('x', async () => {
  const m = modelPackInMemory({ 'a.json': Buffer.from('{}') }, { type: 'file', uri: 'x' });
  const plan = await planMaterialization(m.storage, m.artifact, 'plain');
  console.log('planned');
  const r = await writePlan(plan, '/tmp/dbg/out', { onEvent: (e) => console.log(JSON.stringify(e)) });
  console.log(r);
}, 5000);

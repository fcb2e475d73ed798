import { documentedBlock, generateBlock } from '../../scripts/machine-diagram';

test('docs/architecture.md shows the diagram of the current machine definition (npm run diagram)', () => {
  expect(documentedBlock()).toBe(generateBlock());
});

// PLACEHOLDER: replaced by the real step.
import { defineStep } from '../src/core/step.js';

export default defineStep({
  meta: {
    id: 'multi-stage-build',
    order: 7,
    title: 'multi-stage-build',
    scope: 'dockerfile',
    targets: ['dockerfile'],
    summary: '',
    explain: '',
    references: [],
  },
  async check() {
    throw new Error('not implemented');
  },
});

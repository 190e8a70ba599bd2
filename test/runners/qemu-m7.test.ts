import { defineBoardSuite } from './e2e-suite.js';

defineBoardSuite('qemu-m7');

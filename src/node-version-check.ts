import { exitOnUnsupportedNode } from './node-version';

// main.ts's first import, so it runs before any dependency loads (imports run in order)
exitOnUnsupportedNode();

import * as Y from 'yjs';
import { buildHistory } from '/work/main/bench/lib/seed';
const t0 = performance.now();
const u = buildHistory(100000, ['a','b','c']);
const t1 = performance.now();
const d = new Y.Doc(); Y.applyUpdate(d, u);
const arr = d.getArray<{text:string}>('messages').toArray();
console.log(u.length, t1-t0, performance.now()-t1, arr.length, arr[0]?.text, arr[99999]?.text, d.store.pendingStructs);

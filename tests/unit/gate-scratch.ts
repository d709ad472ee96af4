import * as Y from 'yjs';
import { GateServer, craftItem, craftUpdate, message } from './gate-helpers';
import { checkUpdate } from '../../sync-server/gate';
for (const length of [2000, 2000, 8000, 16000]) {
  const server = new GateServer();
  const items = [craftItem({ client: 1, clock: 0, origin: Y.createID(2, length - 1), content: new Y.ContentAny([message('a')]) })];
  for (let clock = 0; clock < length; clock++) items.push(craftItem({ client: 2, clock, origin: clock === 0 ? null : Y.createID(2, clock - 1), parent: clock === 0 ? 'messages' : null, content: new Y.ContentAny([message('a')]) }));
  let t = performance.now();
  const u = craftUpdate(items);
  console.log('craft', performance.now() - t, u.length);
  t = performance.now();
  const v = checkUpdate(server.doc, { userId: 'a' }, u, { maxMessageChars: 4000 }, new Map());
  console.log('gate', performance.now() - t, v.ok);
  t = performance.now();
  Y.applyUpdate(server.doc, u);
  console.log('apply', performance.now() - t, server.doc.getArray('messages').length);
}

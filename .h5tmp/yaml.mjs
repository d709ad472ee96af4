import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
const doc = yaml.load(readFileSync('docker-compose.yml', 'utf8'));
const assert = (c, m) => { if (!c) { console.error('FAIL', m); process.exit(1); } };
for (const name of ['redis', 'parley-a', 'parley-b', 'nginx']) assert(doc.services[name], name);
for (const name of ['parley-a', 'parley-b']) {
  const s = doc.services[name];
  assert(s.environment.REDIS_URL === 'redis://redis:6379', 'redis url');
  assert(s.environment.DATA_DIR === '/data', 'data dir');
  assert(s.volumes[0] === 'parley-data:/data', 'volume');
  assert(s.depends_on.redis.condition === 'service_healthy', 'depends');
  assert(s.healthcheck.test.join(' ').includes('/healthz'), 'healthcheck');
  assert(s.build === '.', 'build');
}
assert('parley-data' in doc.volumes, 'named volume');
assert(doc.services.nginx.ports[0] === '8080:8080', 'port');
console.log(JSON.stringify(doc.services['parley-b'], null, 1));
console.log('docker-compose.yml OK');

// Regenerates sidecar/extproc/generated/ (TypeScript types of the ext_proc
// messages) from protos/ with proto-loader-gen-types, then adds the explicit
// `.ts` extensions that NodeNext module resolution requires.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const out = 'sidecar/extproc/generated';
rmSync(out, { recursive: true, force: true });
execFileSync('npx', ['proto-loader-gen-types', '--keepCase', '--longs=String', '--enums=String', '--defaults', '--oneofs',
  '--grpcLib=@grpc/grpc-js', '-I', 'protos', '-O', out, 'envoy/service/ext_proc/v3/external_processor.proto'], { stdio: 'inherit' });
const walk = (dir) => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
for (const file of walk(out)) {
  const src = readFileSync(file, 'utf8').replace(/from '(\.[^']+)'/g, (_m, p) => `from '${p}.ts'`);
  writeFileSync(file, src);
}

// Reads `perf report --stdio --no-children -n --sort sym` on stdin and prints CPU microseconds per request
// by kind of code and by symbol (bench/perf-per-request.sh). Arguments: requests served while sampling,
// the sampling frequency in Hz, and the path, for the heading.
const [requests, frequency, path] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
let input = '';
for await (const chunk of process.stdin) input += chunk;

const symbols: { name: string; microseconds: number }[] = [];
for (const line of input.split('\n')) {
  // "    12.34%   1234  [.] Builtins_LoadIC"
  const match = /^\s+[\d.]+%\s+(\d+)\s+(\[[.k]\]\s+.*)$/.exec(line);
  if (match) {
    const samples = Number(match[1]);
    symbols.push({ name: (match[2] as string).trim(), microseconds: (samples * 1e6) / frequency / requests });
  }
}

function kindOf(symbol: string): string {
  if (symbol.startsWith('[k]')) return 'kernel';
  const script = /^\[\.\] JS:\S*\s+(\S+)/.exec(symbol)?.[1] ?? '';
  if (symbol.includes('JS:')) {
    const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(script)?.[1];
    if (dependency) return `JavaScript: ${dependency}`;
    if (script.includes('/dist/src/') || script.includes('/bench/')) return 'JavaScript: ours';
    if (script.startsWith('node:')) return 'JavaScript: node core';
    return 'JavaScript: other (generated serializers and validators)';
  }
  if (/Scaveng|Marking|MarkCompact|Sweep|Evacuat|Remembered|Heap::|GCTracer|Compactor/.test(symbol))
    return 'V8 garbage collection';
  if (/compiler::|Maglev|Turbofan|Compile/.test(symbol)) return 'V8 JIT compiler';
  if (/Builtins_|RegExp:/.test(symbol)) return 'V8 builtins and regular expressions';
  if (/v8::|Runtime_/.test(symbol)) return 'V8 runtime (strings, UTF-8, JSON)';
  return 'native (libc, libuv, OpenSSL, node)';
}

const byKind = new Map<string, number>();
for (const { name, microseconds } of symbols)
  byKind.set(kindOf(name), (byKind.get(kindOf(name)) ?? 0) + microseconds);
const total = symbols.reduce((sum, s) => sum + s.microseconds, 0);
const row = (microseconds: number, label: string) => `${microseconds.toFixed(1).padStart(9)} µs  ${label}`;
console.log(`${path}: ${total.toFixed(0)} µs of CPU per request (${requests} requests)\n\nby kind:`);
for (const [kind, microseconds] of [...byKind].sort((a, b) => b[1] - a[1]))
  console.log(row(microseconds, kind));
console.log('\nby symbol:');
for (const { name, microseconds } of symbols.slice(0, 25)) console.log(row(microseconds, name.slice(0, 110)));

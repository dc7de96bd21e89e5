/**
 * The benchmark's wrk parser (bench/lib/wrk.ts): a misread unit or a missing error count
 * would silently skew every published figure, so it is checked against real wrk 4.1 output.
 */
import { parseWrkOutput, parseDurationMs } from '../../bench/lib/wrk';
import { selfTimes, CpuProfile } from '../../bench/profile/cpuprofile';

const WITH_HOOK = `Running 1s test @ http://127.0.0.1:18555/small
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.92ms    3.25ms  30.19ms   88.79%
    Req/Sec     1.67k   244.75     1.97k    54.55%
  Latency Distribution
     50%    1.72ms
     75%    3.68ms
     90%    6.49ms
     99%   17.55ms
  1839 requests in 1.11s, 362.77KB read
Requests/sec:   1661.44
Transfer/sec:    327.75KB
WRK_JSON {"requests":1839,"duration_us":1106869,"bytes":371478,"errors":{"connect":0,"read":0,"write":0,"status":0,"timeout":0},"latency_us":{"mean":2919.52,"p50":1722,"p90":6485,"p99":17553,"p999":29608,"max":30187}}
`;

const PLAIN_WITH_ERRORS = `Running 1s test @ http://127.0.0.1:18555/missing
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   482.00us    4.22ms    1.98s    81.48%
    Req/Sec     0.95k   551.01     1.63k    50.00%
  Latency Distribution
     50%  278.00us
     75%    7.54ms
     90%   11.65ms
     99%    1.61s
  949 requests in 1.00s, 481.91KB read
  Socket errors: connect 0, read 3, write 1, timeout 7
  Non-2xx or 3xx responses: 949
Requests/sec:    945.90
Transfer/sec:    480.34KB
`;

describe('wrk output parser', () => {
  test('takes exact percentiles, p99.9 included, from the Lua hook line', () => {
    const r = parseWrkOutput(WITH_HOOK);
    expect(r.requestsPerSec).toBe(1661.44);
    expect(r.requests).toBe(1839);
    expect(r.durationSec).toBeCloseTo(1.106869, 6);
    expect(r.bytes).toBe(371478);
    expect(r.latencyMs).toEqual({ mean: 2.91952, p50: 1.722, p90: 6.485, p99: 17.553, p999: 29.608, max: 30.187 });
    expect(r.errors).toEqual({ connect: 0, read: 0, write: 0, timeout: 0, status: 0 });
  });

  test('falls back to the human summary, converting us/ms/s and counting every error kind', () => {
    const r = parseWrkOutput(PLAIN_WITH_ERRORS);
    expect(r.requestsPerSec).toBe(945.9);
    expect(r.requests).toBe(949);
    expect(r.latencyMs.p50).toBeCloseTo(0.278, 6);
    expect(r.latencyMs.p99).toBe(1610);
    expect(r.latencyMs.max).toBe(1980);
    expect(Number.isNaN(r.latencyMs.p999)).toBe(true);
    expect(r.bytes).toBeCloseTo(481.91 * 1024, 3);
    expect(r.errors).toEqual({ connect: 0, read: 3, write: 1, timeout: 7, status: 949 });
  });

  test('refuses output without a result instead of reporting zero', () => {
    expect(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused\n')).toThrow(/Requests\/sec/);
    expect(() => parseDurationMs('12parsecs')).toThrow(/cannot parse duration "12parsecs"/);
  });
});

describe('cpuprofile self time', () => {
  test('attributes each sample duration to the function it hit, ranked by self time', () => {
    const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber, columnNumber: 0 });
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)'), children: [2, 3] },
        { id: 2, callFrame: frame('parse', 'file:///x/runtime/proxy/http.ts', 9), children: [4] },
        { id: 3, callFrame: frame('(idle)') },
        { id: 4, callFrame: frame('writev') },
      ],
      samples: [2, 4, 4, 3, 2],
      timeDeltas: [100, 300, 300, 1000, 200],
      startTime: 0, endTime: 1900,
    };
    const { totalMs, entries } = selfTimes(profile);
    expect(totalMs).toBeCloseTo(1.9, 9);
    expect(entries.map((e) => [e.name, e.selfMs])).toEqual([['(idle)', 1], ['writev', 0.6], ['parse', 0.3]]);
    expect(entries[2].location).toBe('runtime/proxy/http.ts:10');
    expect(entries[0].selfPct).toBeCloseTo((1000 / 1900) * 100, 6);
  });
});
